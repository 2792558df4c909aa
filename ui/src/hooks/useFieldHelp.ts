// Help for the field being mapped: suggestions for unbound fields, and explain for the
// selected field on the selected record.

import { useState } from "react";
import { api } from "../api";
import type { ExplainInfo, RecordSource, Suggestion } from "../bindings";
import { binding, fieldRef, type MappingDoc } from "../mapping";
import { useDebounced } from "./useDebounced";

export function useSuggestions(source: RecordSource, text: string, doc: MappingDoc | null) {
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  useDebounced(
    () => {
      if (doc) {
        api.suggestions(source, text).then(setSuggestions, () => setSuggestions([]));
      }
    },
    500,
    [text, source],
  );
  return suggestions;
}

export function useExplain(
  source: RecordSource,
  text: string,
  doc: MappingDoc | null,
  recordId: string | null,
  field: string | null,
) {
  const [explain, setExplain] = useState<ExplainInfo | null>(null);
  useDebounced(
    () => {
      if (!doc || recordId === null || field === null || !binding(doc, fieldRef(field))) {
        setExplain(null);
        return;
      }
      api.explain(source, text, recordId, field).then(setExplain, () => setExplain(null));
    },
    120,
    [text, source, recordId, field],
  );
  return explain;
}
