// Private to lib/: the errno behind an error Deno threw, for the trace.
// Deno's messages end in "(os error N)"; N is Linux's number here. Where
// there is no number (another system, or an error of Deno's own) the error
// class gives the name when it maps to one errno.

/** Linux's errno names for the numbers a socket call can fail with. */
const LINUX_ERRNO: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  5: "EIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  32: "EPIPE",
  88: "ENOTSOCK",
  89: "EDESTADDRREQ",
  90: "EMSGSIZE",
  91: "EPROTOTYPE",
  92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT",
  94: "ESOCKTNOSUPPORT",
  95: "EOPNOTSUPP",
  96: "EPFNOSUPPORT",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  102: "ENETRESET",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  105: "ENOBUFS",
  106: "EISCONN",
  107: "ENOTCONN",
  108: "ESHUTDOWN",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  112: "EHOSTDOWN",
  113: "EHOSTUNREACH",
  114: "EALREADY",
  115: "EINPROGRESS",
};

/** Deno's error classes that stand for exactly one errno. */
const BY_CLASS: Readonly<Record<string, string>> = {
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  BrokenPipe: "EPIPE",
  ConnectionAborted: "ECONNABORTED",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  NetworkUnreachable: "ENETUNREACH",
  NotConnected: "ENOTCONN",
  TimedOut: "ETIMEDOUT",
};

const OS_ERROR = /^(.*) \(os error (\d+)\)$/s;

/** An errno name and the system's words for it. */
export interface Errno {
  /** For example `"ECONNREFUSED"`; `undefined` when it cannot be known. */
  errno: string | undefined;
  /** For example `"Connection refused"`. */
  message: string;
}

/** The errno behind `error`, as far as Deno's error tells it. */
export function errnoOf(error: unknown): Errno {
  const text = error instanceof Error ? error.message : String(error);
  const match = OS_ERROR.exec(text);
  if (match && Deno.build.os === "linux") {
    return { errno: LINUX_ERRNO[Number(match[2])], message: match[1]! };
  }
  const name = error instanceof Error ? error.name : "";
  return { errno: BY_CLASS[name], message: match ? match[1]! : text };
}
