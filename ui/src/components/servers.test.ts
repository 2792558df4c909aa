import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { NoServerYet } from "./ServersDialog";

describe("the Servers dialog with no server", () => {
  it("sets the command to run as code, not between literal backticks", () => {
    const html = renderToStaticMarkup(createElement(NoServerYet));
    expect(html).toContain("<code>unifield serve --demo</code>");
    expect(html).not.toContain("`");
    expect(html).toContain("API key");
  });
});
