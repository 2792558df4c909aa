import { describe, expect, it } from "vitest";
import {
  addFailure,
  checkServerForm,
  firstProblem,
  firstReconnect,
  reconnectTakesFocus,
  serverFailure,
} from "./server-form";

const good = { name: "demo", url: "http://127.0.0.1:8080", apiKey: "uf_abc123" };

describe("the Add a server form's checks", () => {
  it("passes a name, a loopback http URL and a key", () => {
    expect(checkServerForm(good, [])).toEqual({});
    expect(checkServerForm({ ...good, url: "https://unifield.example.com/base" }, [])).toEqual({});
    expect(checkServerForm({ ...good, url: "http://localhost:4000" }, [])).toEqual({});
    expect(checkServerForm({ ...good, url: "http://[::1]:4000" }, [])).toEqual({});
  });

  it("says every field's problem at once, and the first is where focus goes", () => {
    const problems = checkServerForm({ name: "", url: "", apiKey: " " }, []);
    expect(Object.keys(problems).sort()).toEqual(["apiKey", "name", "url"]);
    expect(firstProblem(problems)).toBe("name");
    expect(firstProblem({ apiKey: "x" })).toBe("apiKey");
    expect(firstProblem({})).toBeNull();
  });

  it("refuses a name with spaces, too long, or listed already", () => {
    expect(checkServerForm({ ...good, name: "my server" }, []).name).toContain("1 to 40");
    expect(checkServerForm({ ...good, name: "x".repeat(41) }, []).name).toContain("1 to 40");
    expect(checkServerForm(good, ["demo"]).name).toContain("exists already");
    expect(checkServerForm({ ...good, name: " demo " }, ["demo"]).name).toContain("exists already");
  });

  it("refuses plain http to another host, with what to use instead", () => {
    const url = checkServerForm({ ...good, url: "http://unifield.example.com" }, []).url;
    expect(url).toContain("only to this machine");
    expect(url).toContain("https://");
  });

  it("refuses what is not a URL, another scheme, credentials, a query or a fragment", () => {
    expect(checkServerForm({ ...good, url: "unifield.example.com" }, []).url).toBeDefined();
    expect(checkServerForm({ ...good, url: "ftp://unifield.example.com" }, []).url).toContain("https://");
    expect(checkServerForm({ ...good, url: "https://me:pw@unifield.example.com" }, []).url).toContain("user name");
    expect(checkServerForm({ ...good, url: "https://unifield.example.com/?a=1" }, []).url).toContain("query");
    expect(checkServerForm({ ...good, url: "https://unifield.example.com/#x" }, []).url).toContain("fragment");
  });

  it("refuses a key with spaces or over 200 characters, and never quotes it", () => {
    const spaced = checkServerForm({ ...good, apiKey: "uf_abc def" }, []).apiKey;
    expect(spaced).toContain("printable");
    expect(spaced).not.toContain("uf_abc");
    expect(checkServerForm({ ...good, apiKey: "k".repeat(201) }, []).apiKey).toContain("200");
  });
});

describe("a refused add", () => {
  const refused = (code: string, message = "cannot reach the server", field: string | null = "url") => ({
    code,
    message,
    location: field === null ? null : { file: null, line: null, column: null, field, step: null },
  });

  it("says the cause and the next step beside the URL when nothing answers", () => {
    for (const [code, words] of [
      ["server_connection_refused", "refused"],
      ["server_unknown_host", "does not resolve"],
      ["server_tls_failed", "https"],
      ["server_timeout", "in time"],
      ["server_unreachable", "failed"],
    ] as const) {
      const failure = addFailure(refused(code));
      expect(failure.field, code).toBe("url");
      expect(failure.cause, code).toContain(words);
      expect(failure.next, code).not.toBeNull();
    }
    expect(addFailure(refused("server_tls_failed")).next).toContain("http://127.0.0.1");
  });

  it("places a refused key at the key, saying 401 and where a new one comes from", () => {
    const failure = addFailure(refused("server_unauthorized", "the server refused the API key (401)", "apiKey"));
    expect(failure.field).toBe("apiKey");
    expect(failure.cause).toContain("refused the API key (401)");
    expect(failure.next).toContain("unifield server key create");
  });

  it("keeps the service's sentence, capitalised, at the field it placed it", () => {
    const failure = addFailure(
      refused("invalid_server", "server URL: `http://x` must use https [insecure_url]", "url"),
    );
    expect(failure).toEqual({ field: "url", cause: "Server URL: `http://x` must use https", next: null });
    expect(addFailure(refused("keyring_unavailable", "the keyring is locked", null)).field).toBeNull();
  });
});

describe("a listed server's failure (Refresh, a pull, a push, Reconnect)", () => {
  const failed = (code: string, message = "cannot reach the server at http://127.0.0.1:9: no answer in time") => ({
    code,
    message,
    location: null,
  });
  const unanswered = [
    "server_connection_refused",
    "server_unknown_host",
    "server_tls_failed",
    "server_timeout",
    "server_unreachable",
  ];

  it("has the Add form's cause for the same code, and a next step of its own", () => {
    for (const code of [...unanswered, "server_unauthorized", "server_protocol"]) {
      const using = serverFailure(failed(code), "using");
      expect(using.cause, code).toBe(addFailure(failed(code)).cause);
      expect(using.next, code).not.toBeNull();
    }
  });

  it("tells how to change a kept URL or key: remove the server and add it again", () => {
    for (const code of ["server_connection_refused", "server_unknown_host", "server_unreachable"]) {
      expect(serverFailure(failed(code), "using").next, code).toContain("add it again with its new URL");
      expect(addFailure(failed(code)).next, code).not.toContain("add it again");
    }
    const key = serverFailure(failed("server_unauthorized", "the server refused the API key (401)"), "using");
    expect(key.cause).toContain("refused the API key (401)");
    expect(key.next).toContain("remove the server here and add it again with a current key");
    expect(key.next).toContain("unifield server key create");
  });

  it("says a connection gone from the server in the service's words, with Refresh to do", () => {
    const gone = serverFailure(failed("server_not_found", "the server has no connection `con_9`"), "using");
    expect(gone).toEqual({
      field: null,
      cause: "The server has no connection `con_9`",
      next: "Refresh the server's connections: this one may have been removed on the server.",
    });
  });

  it("points a server's own failure (500) at its log", () => {
    const failure = serverFailure(failed("server_error", "the server answered 500: boom [internal]"), "using");
    expect(failure.cause).toBe("The server answered 500: boom");
    expect(failure.next).toContain("log");
  });

  it("leaves a failure it has no next step for in the service's words (Corrigo refused Reconnect's credentials)", () => {
    const refused = serverFailure(
      failed("credentials_refused", "Corrigo refused the new credentials; nothing changed: invalid_client"),
      "using",
    );
    expect(refused).toEqual({
      field: null,
      cause: "Corrigo refused the new credentials; nothing changed: invalid_client",
      next: null,
    });
  });
});

describe("a Reconnect form that appears", () => {
  it("takes focus unless the person is typing in a field that holds something", () => {
    expect(reconnectTakesFocus(null)).toBe(true);
    expect(reconnectTakesFocus({ tagName: "BODY" })).toBe(true);
    expect(reconnectTakesFocus({ tagName: "BUTTON" })).toBe(true);
    expect(reconnectTakesFocus({ tagName: "INPUT", type: "text", value: "" })).toBe(true);
    expect(reconnectTakesFocus({ tagName: "INPUT", type: "text", value: "prod" })).toBe(false);
    expect(reconnectTakesFocus({ tagName: "INPUT", type: "password", value: "k" })).toBe(false);
    expect(reconnectTakesFocus({ tagName: "TEXTAREA", value: "x" })).toBe(false);
  });

  it("is the first that needs reauthorization, in the dialog's order", () => {
    const servers = [{ name: "a" }, { name: "b" }];
    expect(firstReconnect(servers, {})).toBeNull();
    expect(
      firstReconnect(servers, {
        a: [{ id: "1", status: "ok" }],
        b: [
          { id: "2", status: "syncing" },
          { id: "3", status: "reauthorization_required" },
          { id: "4", status: "reauthorization_required" },
        ],
      }),
    ).toBe("b/3");
    expect(firstReconnect(servers, { a: "loading", b: [{ id: "5", status: "ok" }] })).toBeNull();
  });
});
