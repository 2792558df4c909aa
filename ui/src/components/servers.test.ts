import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { addFailure } from "../server-form";
import { AddFailureNote, NoServerYet, Reconnect, ServerErrorNote, Status } from "./ServersDialog";

describe("the Servers dialog with no server", () => {
  it("sets the command to run as code, not between literal backticks", () => {
    const html = renderToStaticMarkup(createElement(NoServerYet));
    expect(html).toContain("<code>unifield serve --demo</code>");
    expect(html).not.toContain("`");
    expect(html).toContain("API key");
  });
});

describe("a server connection's status", () => {
  const connection = {
    id: "con_1",
    name: "Main",
    company: "Acme",
    status: "ok",
    reason: null,
    action: null,
    lastSync: {
      startedAt: "2026-11-30T17:40:00Z",
      finishedAt: "2026-11-30T17:41:00Z",
      status: "completed",
      records: 1339,
      error: null,
    },
  } as unknown as Parameters<typeof Status>[0]["connection"];

  it("is a badge styled by its status, apart from the last sync", () => {
    const html = renderToStaticMarkup(createElement(Status, { connection }));
    expect(html).toMatch(/<span class="badge status-ok" data-testid="server-connection-status">ok<\/span>/);
    expect(html).toMatch(/<span class="server-sync"> · last sync completed .+ · 1,339 records<\/span>/);
  });
});

describe("the Reconnect form", () => {
  it("names each of its inputs for a screen reader, not by placeholder alone", () => {
    const html = renderToStaticMarkup(createElement(Reconnect, { onReconnect: () => Promise.resolve(true) }));
    const inputs = html.match(/<input[^>]*>/g) ?? [];
    expect(inputs).toHaveLength(3);
    for (const input of inputs) {
      expect(input).toMatch(/aria-label="[^"]+"/);
    }
    expect(html).toContain('aria-label="Corrigo client id"');
    expect(html).toContain('aria-label="Corrigo client secret"');
  });
});

describe("a refused add", () => {
  const error = (code: string, message: string, field: string | null) => ({
    code,
    message,
    location: field === null ? null : { file: null, line: null, column: null, field, step: null },
    problems: [],
  });

  it("beside its field: the cause, what to do, and the service's words with the code as details", () => {
    const refused = error(
      "server_connection_refused",
      "cannot reach the server at http://127.0.0.1:9: the connection was refused (Connection refused (os error 111)) [server_connection_refused]",
      "url",
    );
    const html = renderToStaticMarkup(createElement(AddFailureNote, { error: refused, failure: addFailure(refused) }));
    expect(html).toContain('id="server-add-failure"');
    expect(html).toContain('data-testid="servers-error"');
    expect(html).not.toContain('role="alert"');
    expect(html).toContain("the connection was refused.</div>");
    expect(html).toContain("What to do: Check the port");
    expect(html).toMatch(/<details><summary>Details<\/summary>Cannot reach the server .+\(os error 111\)\)/);
    expect(html).toContain('title="Error code: server_connection_refused"');
  });

  it("not placed at a field: an alert under the form, the service's sentence with its code", () => {
    const refused = error("keyring_unavailable", "the keyring is locked", null);
    const html = renderToStaticMarkup(createElement(AddFailureNote, { error: refused, failure: addFailure(refused) }));
    expect(html).toContain('role="alert"');
    expect(html).toContain("The keyring is locked");
    expect(html).not.toContain("<details>");
  });
});

describe("the dialog's own error, at its top", () => {
  const error = (code: string, message: string) => ({ code, message, location: null, problems: [] });
  const note = (e: ReturnType<typeof error>, server: string | null = null) =>
    renderToStaticMarkup(createElement(ServerErrorNote, { error: e, testId: "servers-error", server }));

  it("a Refresh that found nothing listening: the cause, what to do, the service's words and code as details", () => {
    const html = note(
      error(
        "server_connection_refused",
        "cannot reach the server at http://127.0.0.1:9: the connection was refused (Connection refused (os error 111))",
      ),
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('data-testid="servers-error"');
    expect(html).toContain('<div class="server-add-cause">Nothing accepts connections at this address');
    expect(html).toContain("What to do: Check that the server is running at this address");
    expect(html).toMatch(
      /<details><summary>Details<\/summary>Cannot reach the server at http:\/\/127\.0\.0\.1:9: .+\(os error 111\)\)/,
    );
    expect(html).toContain('title="Error code: server_connection_refused"');
    expect(html).not.toMatch(/\[[a-z_]+\]/);
  });

  it("a server's own failure: its sentence once, with its code, then what to do", () => {
    const html = note(error("server_error", "the server answered 500: boom [internal]"));
    expect(html).toContain(
      '<div class="server-add-cause">The server answered 500: boom <span class="problem-code" title="Error code: server_error · internal">server_error · internal</span></div>',
    );
    expect(html).toContain("What to do: Try again");
    expect(html).not.toContain("<details>");
  });

  it("a refused Reconnect: the service's sentence (it says nothing changed) with its code apart", () => {
    const html = note(
      error("credentials_refused", "Corrigo refused the new credentials; nothing changed: invalid_client"),
    );
    expect(html).toBe(
      '<div class="error-text server-error" role="alert" data-testid="servers-error">Corrigo refused the new credentials; nothing changed: invalid_client <span class="problem-code" title="Error code: credentials_refused">credentials_refused</span></div>',
    );
  });

  it("names the listed server it is about first (the dialog lists several)", () => {
    const key = note(error("server_unauthorized", "the server refused the API key (401)"), "prod");
    expect(key).toContain(
      '<div class="server-add-cause"><strong>prod: </strong>The server refused the API key (401).</div>',
    );
    expect(key).toContain("remove the server here and add it again with a current key");
    const refused = note(
      error("credentials_refused", "Corrigo refused the new credentials; nothing changed: x"),
      "prod",
    );
    expect(refused).toContain('data-testid="servers-error"><strong>prod: </strong>Corrigo refused the new credentials');
  });
});
