// A failure's sentence as the panels show it: as the toasts show it (toast-list.ts
// toastWords: a capital first letter, a trailing `[code]` taken out), with the machine code
// after it, muted and in a title, for a bug report, instead of `… [invalid_path]` at the end
// of a lower-case sentence.

import { toastWords } from "../toast-list";

export function CodedMessage({ message, code }: { message: string; code?: string | null }) {
  // The engine's problems, warnings too, are lower-case sentences: "error" is toastWords'
  // kind for a sentence that gets a capital (an "info" one is the studio's own, as written).
  const words = toastWords("error", message, code);
  return (
    <>
      {words.text}
      {words.code && (
        <>
          {" "}
          <span className="problem-code" title={`Error code: ${words.code}`}>
            {words.code}
          </span>
        </>
      )}
    </>
  );
}
