/**
 * Trace events as text and as JSON fields: each call as the guide writes it,
 * `CALL(ARGS) = RESULT`, then the Deno call that made it in brackets, and a
 * `/* note *\/` on why it differs from the guide's C — each note once. Every
 * part that came from outside (host names, payloads) is escaped, so a line
 * is safe to write to a terminal as it is.
 *
 * @module
 */

import { escapeBytes, escapeText } from "./escape.ts";
import type { TraceEvent } from "../trace.ts";

/** How much of a payload a line shows, as `strace -s 32` does. */
const PREVIEW_BYTES = 32;

function quoted(text: string | null | undefined): string {
  return text === null || text === undefined
    ? "NULL"
    : `"${escapeText(text).replaceAll('"', '\\"')}"`;
}

function preview(data: Uint8Array | undefined): string {
  if (data === undefined) return "buf";
  const shown = escapeBytes(data.subarray(0, PREVIEW_BYTES));
  return `"${shown.replaceAll('"', '\\"')}"${
    data.length > PREVIEW_BYTES ? "..." : ""
  }`;
}

function where(event: TraceEvent): string {
  const address = escapeText(event.address ?? "?");
  const port = event.port ?? "?";
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function fdOf(event: TraceEvent): string {
  const fd = event.fd ?? "sockfd";
  return event.peer === undefined ? fd : `${fd}<${escapeText(event.peer)}>`;
}

function failure(event: TraceEvent): string {
  const reason = event.message === undefined
    ? ""
    : ` (${escapeText(event.message)})`;
  return event.errno === undefined
    ? `-1${reason}`
    : `-1 ${escapeText(event.errno)}${reason}`;
}

function result(event: TraceEvent): string {
  if (event.result === -1) return failure(event);
  return event.result === undefined ? "?" : String(event.result);
}

/** `CALL(ARGS) = RESULT`, or `CALL(ARGS) not called: REASON`. */
function callText(event: TraceEvent): string {
  const fd = fdOf(event);
  switch (event.call) {
    case "getaddrinfo": {
      const hints = [event.family, event.type, event.flags].filter(Boolean);
      const text = `getaddrinfo(${quoted(event.host)}, ${
        quoted(event.service)
      }, {${hints.join(", ")}})`;
      if (event.skipped !== undefined) return text;
      if (event.addresses !== undefined) {
        return `${text} = [${event.addresses.map(escapeText).join(", ")}]`;
      }
      return `${text} = ${escapeText(event.errno ?? "?")}${
        event.message === undefined ? "" : ` (${escapeText(event.message)})`
      }`;
    }
    case "socket":
      if (event.skipped !== undefined) return "socket()";
      return `socket(${event.family}, ${event.type}, ${event.protocol}) = ${
        event.result === -1 ? failure(event) : fd
      }`;
    case "setsockopt":
      return `setsockopt(${fd}, ${event.level}, ${event.option}, ${event.value}) = ${
        result(event)
      }`;
    case "fcntl":
      return `fcntl(${fd}, ${event.command}) = ${result(event)}`;
    case "bind":
      return `bind(${fd}, ${where(event)}) = ${result(event)}`;
    case "listen":
      return `listen(${fd}, ${event.backlog}) = ${result(event)}`;
    case "getsockname":
      return `getsockname(${fd}) = ${
        event.result === -1 ? failure(event) : where(event)
      }`;
    case "accept":
      return `accept(sockfd) = ${event.result === -1 ? failure(event) : fd}`;
    case "connect":
      return `connect(${fd}, ${where(event)}) = ${result(event)}`;
    case "send":
      return `send(${fd}, ${
        preview(event.data)
      }, ${event.length}, MSG_NOSIGNAL) = ${result(event)}`;
    case "recv":
      if (event.skipped !== undefined) return `recv(${fd}, buf, ...)`;
      return `recv(${fd}, buf, ${event.length}, 0) = ${result(event)}`;
    case "sendto":
      return `sendto(${fd}, ${
        preview(event.data)
      }, ${event.length}, MSG_NOSIGNAL, ${where(event)}) = ${result(event)}`;
    case "recvfrom":
      if (event.skipped !== undefined) return `recvfrom(${fd}, buf, ...)`;
      return `recvfrom(${fd}, buf, ${event.length ?? "?"}, 0) = ${
        event.result === -1
          ? failure(event)
          : `${event.result} bytes from ${where(event)}`
      }`;
    case "close":
      return `close(${fd}) = ${result(event)}`;
    case "fork":
      return "fork()";
  }
}

function byText(event: TraceEvent): string {
  const thread = event.thread === undefined ? "" : ` on worker ${event.thread}`;
  if (event.by === undefined) {
    return thread === "" ? "" : ` [${thread.slice(1)}]`;
  }
  const syscalls = event.syscalls;
  if (
    syscalls === undefined ||
    (syscalls.length === 1 && syscalls[0] === event.call)
  ) return ` [${event.by}${thread}]`;
  return ` [${event.by}${thread}: ${syscalls.join(", ")}]`;
}

/**
 * Format one event: the call, its result, the Deno call that made it and,
 * when `note` is true, the note.
 *
 * @param event A trace event.
 * @param note Whether to add the event's note. @default {true}
 * @returns One terminal-safe line, without the tool's name or a newline.
 *
 * @example A refused connection
 * ```ts
 * import { formatTraceEvent } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   formatTraceEvent({
 *     call: "connect",
 *     by: "Deno.connect",
 *     fd: "sockfd",
 *     address: "127.0.0.1",
 *     port: 3490,
 *     result: -1,
 *     errno: "ECONNREFUSED",
 *     message: "Connection refused",
 *   }),
 *   "connect(sockfd, 127.0.0.1:3490) = -1 ECONNREFUSED (Connection refused) [Deno.connect]",
 * );
 * ```
 */
export function formatTraceEvent(event: TraceEvent, note = true): string {
  let text = callText(event);
  if (event.skipped !== undefined) {
    text += ` not called: ${escapeText(event.skipped)}`;
  }
  if (event.at !== undefined) text += ` at +${event.at.toFixed(1)} ms`;
  text += byText(event);
  if (note && event.note !== undefined) {
    text += ` /* ${escapeText(event.note)} */`;
  }
  return text;
}

/**
 * A formatter that adds each note only the first time it comes, so a
 * server's trace says why once, not once per connection.
 *
 * @returns A function from an event to its line.
 *
 * @example Notes once
 * ```ts
 * import { traceFormatter } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * const format = traceFormatter();
 * const event = { call: "close", fd: "new_fd", note: "why" } as const;
 * assertEquals(format(event), "close(new_fd) = ? /* why *\/");
 * assertEquals(format(event), "close(new_fd) = ?");
 * ```
 */
export function traceFormatter(): (event: TraceEvent) => string {
  const said = new Set<string>();
  return (event) => {
    const note = event.note;
    const fresh = note !== undefined && !said.has(note);
    if (fresh) said.add(note);
    return formatTraceEvent(event, fresh);
  };
}

/**
 * The fields of an event for a JSON line: everything but the payload, which
 * the tools' own events carry.
 *
 * @param event A trace event.
 * @returns A plain object, `{ call, ... }`, without `data`.
 *
 * @example Without the payload
 * ```ts
 * import { traceFields } from "@beejnet/beejnet/text";
 * import { assertEquals } from "@std/assert";
 *
 * const fields = traceFields({ call: "send", data: new Uint8Array(2), length: 2 });
 * assertEquals(fields, { call: "send", length: 2 });
 * ```
 */
export function traceFields(event: TraceEvent): Record<string, unknown> {
  const { data: _, ...fields } = event;
  return fields;
}
