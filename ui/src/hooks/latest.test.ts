import { describe, expect, it } from "vitest";
import { latestWins, STALE } from "./latest";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("latestWins", () => {
  it("drops an older answer that arrives after a newer one", async () => {
    const gate = latestWins();
    const first = deferred<string>();
    const second = deferred<string>();
    const a = gate(first.promise);
    const b = gate(second.promise);
    second.resolve("new");
    first.resolve("old");
    expect(await b).toBe("new");
    expect(await a).toBe(STALE);
  });

  it("reports only the newest request's failure", async () => {
    const gate = latestWins();
    const first = deferred<string>();
    const second = deferred<string>();
    const a = gate(first.promise);
    const b = gate(second.promise);
    first.reject(new Error("old failure"));
    second.reject(new Error("new failure"));
    expect(await a).toBe(STALE);
    await expect(b).rejects.toThrow("new failure");
  });

  it("keeps separate streams apart", async () => {
    const previews = latestWins();
    const trees = latestWins();
    const p = previews(Promise.resolve(1));
    const t = trees(Promise.resolve(2));
    expect(await p).toBe(1);
    expect(await t).toBe(2);
  });
});
