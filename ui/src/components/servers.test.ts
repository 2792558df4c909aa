import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { NoServerYet, Reconnect, Status } from "./ServersDialog";

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
