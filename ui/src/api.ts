// The studio's Tauri commands and events. The commands' wrappers (commands.ts) and their
// argument and result types (bindings.ts) are generated from Rust: the sides cannot drift.

import { listen } from "@tauri-apps/api/event";
import { commands } from "./commands";
import type { CoverageProgress, PullProgress, ServiceError } from "./bindings";

export function isServiceError(e: unknown): e is ServiceError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Any failure as a ServiceError: IPC-level failures get the code `ipc`. */
export function asServiceError(e: unknown): ServiceError {
  if (isServiceError(e)) {
    return e;
  }
  return { code: "ipc", message: String(e), location: null, problems: [] };
}

let nextJob = 1;
/** A job id for a cancellable call (pull, coverage). */
export const newJob = () => nextJob++;

/** The studio's commands (generated from src-tauri/src/command_list.rs). */
export const api = commands;

export const onPullProgress = (f: (p: PullProgress) => void) =>
  listen<PullProgress>("pull-progress", (e) => f(e.payload));
export const onCoverageProgress = (f: (p: CoverageProgress) => void) =>
  listen<CoverageProgress>("coverage-progress", (e) => f(e.payload));
