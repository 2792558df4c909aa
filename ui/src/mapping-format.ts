// Generated from mappings/schema/mapping.schema.json (which the engine writes: make generated) by json-schema-to-typescript: npm run generate. Do not edit.

/**
 * This interface was referenced by `UnifieldMappingFile`'s JSON-Schema
 * via the `definition` "binding".
 */
export type Binding = {
  /**
   * An RFC 9535 JSONPath into the source record.
   */
  path?: string;
  /**
   * JSONPaths tried in order; the first non-null wins.
   *
   * @minItems 1
   */
  paths?: [string, ...string[]];
  /**
   * A constant value.
   */
  const?: {
    [k: string]: unknown;
  };
  steps?: Step[];
  note?: string;
} & Binding1;
/**
 * This interface was referenced by `UnifieldMappingFile`'s JSON-Schema
 * via the `definition` "step".
 */
export type Step =
  | (
      | "to_string"
      | {
          /**
           * Writes a string, number or boolean as a string (`500` → `"500"`).
           */
          fn: "to_string";
        }
    )
  | (
      | "to_integer"
      | {
          /**
           * Converts a number, numeric string or boolean to a whole number; fractions and values beyond 64 bits are errors.
           */
          fn: "to_integer";
        }
    )
  | (
      | "to_number"
      | {
          /**
           * Converts a numeric string to a number; `NaN`, `inf` and out-of-range values are errors.
           */
          fn: "to_number";
        }
    )
  | (
      | "to_boolean"
      | {
          /**
           * Converts true/false, yes/no, y/n, 1/0 (any case) to a boolean.
           */
          fn: "to_boolean";
        }
    )
  | (
      | "not"
      | {
          /**
           * Negates a boolean (`IsRemoved` → `isActive`).
           */
          fn: "not";
        }
    )
  | (
      | "trim"
      | {
          /**
           * Removes leading and trailing whitespace.
           */
          fn: "trim";
        }
    )
  | (
      | "lower"
      | {
          /**
           * Lower-cases a string (Unicode-aware).
           */
          fn: "lower";
        }
    )
  | (
      | "upper"
      | {
          /**
           * Upper-cases a string (Unicode-aware).
           */
          fn: "upper";
        }
    )
  | {
      /**
       * Replaces every occurrence of `from` with `to` (plain text, not a pattern).
       */
      fn: "replace";
      /**
       * the text to find; must not be empty
       */
      from: string;
      /**
       * the replacement
       */
      to: string;
    }
  | {
      /**
       * Splits a string into an array of strings at each `separator`.
       */
      fn: "split";
      /**
       * where to split; must not be empty
       */
      separator: string;
      /**
       * trim each part (default true)
       */
      trim?: boolean;
      /**
       * drop empty parts (default true)
       */
      skipEmpty?: boolean;
    }
  | (
      | "join"
      | {
          /**
           * Joins an array's strings, numbers and booleans with `separator`, skipping nulls.
           */
          fn: "join";
          /**
           * what goes between items (default ", ")
           */
          separator?: string;
        }
    )
  | {
      /**
       * Builds a string from record fields: `{Number} – {ShortLocation}`; `{@}` is the step's input, `{WorkZone.Id}` a nested field, `{{`/`}}` literal braces; missing values write nothing.
       */
      fn: "template";
      /**
       * the text with {placeholders}
       */
      template: string;
    }
  | (
      | "coalesce"
      | {
          /**
           * Keeps a non-null input; otherwise takes the first non-null of `paths` (read from the record), then of `values`.
           */
          fn: "coalesce";
          /**
           * record paths to try in order
           */
          paths?: string[];
          /**
           * constants to try after the paths
           */
          values?: unknown[];
        }
    )
  | {
      /**
       * Replaces null with `value`.
       */
      fn: "default";
      /**
       * the value to use when the input is null
       */
      value: {
        [k: string]: unknown;
      };
    }
  | {
      /**
       * Keeps the input when the record's `path` holds one of `values`, otherwise gives null: a key filled only when the record it points to is of one kind (Corrigo's MainAsset is an asset or a place).
       */
      fn: "keep_if";
      /**
       * the record path to test
       */
      path: string;
      /**
       * the values that keep the input
       */
      values: unknown[];
    }
  | (
      | "null_if_empty"
      | {
          /**
           * Turns an empty or whitespace-only string, an empty array or an empty object into null.
           */
          fn: "null_if_empty";
        }
    )
  | {
      /**
       * Turns any of `values` into null (Corrigo writes 0 for "no reference").
       */
      fn: "null_if";
      /**
       * the values that mean "none"
       */
      values: unknown[];
    }
  | {
      /**
       * Maps source values (strings, numbers, booleans; matched by their text) through `map`; unmapped values take `default`, or null, or fail with `failOnUnmapped`.
       */
      fn: "map_values";
      /**
       * source value → output value
       */
      map: {
        [k: string]: unknown;
      };
      /**
       * the output for values the map does not list
       */
      default?: {
        [k: string]: unknown;
      };
      /**
       * make an unlisted value an error (default false)
       */
      failOnUnmapped?: boolean;
      /**
       * match keys ignoring case (default false)
       */
      caseInsensitive?: boolean;
    }
  | (
      | "lookup"
      | {
          /**
           * Resolves a key through `table` (given in the mapping) or through `related` records supplied with the input (matched on their Id), optionally reading `path` from the found record.
           */
          fn: "lookup";
          /**
           * key → value, written in the mapping
           */
          table?: {
            [k: string]: unknown;
          };
          /**
           * the related entity to search, such as WoPriority
           */
          related?: string;
          /**
           * what to read from the related record (default: the whole record)
           */
          path?: string;
          /**
           * the output when the key is not found
           */
          default?: {
            [k: string]: unknown;
          };
          /**
           * make a key that is not found an error (default false)
           */
          failOnMissing?: boolean;
        }
    )
  | (
      | "parse_datetime"
      | {
          /**
           * Parses a date-time to RFC 3339 UTC; an offset in the text wins, otherwise `timeZone` applies; 1753-01-01 and 0001-01-01 ("no date") and empty strings give null.
           */
          fn: "parse_datetime";
          /**
           * strftime formats to try (default: ISO 8601 with or without T, fraction, seconds)
           */
          formats?: string[];
          /**
           * zone of offset-less times: UTC (default), +05:30, or an IANA name such as America/Chicago
           */
          timeZone?: string;
        }
    )
  | (
      | "parse_date"
      | {
          /**
           * Parses a date or date-time to a calendar date `YYYY-MM-DD` (the date as written, no zone shift); "no date" sentinels give null.
           */
          fn: "parse_date";
          /**
           * strftime formats to try (default: ISO 8601 dates and date-times)
           */
          formats?: string[];
        }
    )
  | (
      | "money"
      | {
          /**
           * Reads a Corrigo money object `{CurrencyTypeId, Value}` as `{amount, currency}`, or just its `amount` or `currency`.
           */
          fn: "money";
          /**
           * `amount` or `currency` to return one part (default: both, as an object)
           */
          part?: string;
          /**
           * currency to assume when the object has none
           */
          currency?: string;
        }
    )
  | (
      | "pick"
      | {
          /**
           * Picks one item of an array: the first (or `index`-th) whose members equal `where`, then optionally reads `path` from it.
           */
          fn: "pick";
          /**
           * member values the item must have, such as {"AddrTypeId": "PrimEmail"}
           */
          where?: {
            [k: string]: unknown;
          };
          /**
           * which match to take: 0 first (default), -1 last
           */
          index?: number;
          /**
           * what to read from the picked item, such as $.Address
           */
          path?: string;
        }
    )
  | {
      /**
       * Reads a JSONPath from the step's input (an object or array) instead of the record.
       */
      fn: "get";
      /**
       * the JSONPath, rooted at the input
       */
      path: string;
    }
  | (
      | "count"
      | {
          /**
           * The number of items in an array; a missing array counts 0.
           */
          fn: "count";
        }
    )
  | {
      /**
       * Builds an object from the step's input: each member of `fields` names an output member and the JSONPath (rooted at the input) that fills it, or an array of JSONPaths whose non-empty texts are joined with newlines (address lines); null members are left out.
       */
      fn: "reshape";
      /**
       * output member → JSONPath into the input, or an array of them to join in lines
       */
      fields: {
        [k: string]: unknown;
      };
    };
export type Binding1 = {
  [k: string]: unknown;
};

/**
 * Maps records of a source system (such as Corrigo) onto the unified model. Format v1.
 */
export interface UnifieldMappingFile {
  format: "unifield.mapping/v1";
  name: string;
  description?: string;
  source: {
    /**
     * The source system, such as corrigo.
     */
    system: string;
    /**
     * The source entity, such as WorkOrder.
     */
    entity: string;
    /**
     * JSONPath of the record's id (default $.Id).
     */
    idPath?: string;
    /**
     * Only records whose value at `path` passes the test are mapped.
     */
    filter?: {
      [k: string]: unknown;
    };
  };
  target: {
    model: "unified";
    version: "1";
    entity: "WorkOrder" | "Asset" | "Location" | "Site" | "User" | "Vendor" | "Customer" | "Part";
  };
  fields: {
    [k: string]: Binding;
  };
  /**
   * Fields outside the model, served under `customFields`. A name is letters, digits and _, not starting with a digit.
   */
  custom?: {
    [k: string]: Binding;
  };
}
