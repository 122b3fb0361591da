// A JSR registry on loopback, for installing this package with
// `jsr:@beejnet/beejnet/TOOL` before (and without) publishing it.
//
// It speaks the part of JSR's protocol that Deno reads (JSR_URL points Deno
// at it): `/@SCOPE/NAME/meta.json` lists the versions, `/@SCOPE/NAME/
// VERSION_meta.json` gives each file's size and SHA-256 and the exports, and
// `/@SCOPE/NAME/VERSION/PATH` serves the file. The package holds what
// `deno publish --dry-run` lists, with its bare specifiers rewritten through
// the import map as `deno publish` does on upload (`"@std/cli/parse-args"`
// becomes `"jsr:@std/cli@1.0.32/parse-args"`); only specifiers Deno's module
// graph finds are rewritten, so the examples in doc comments stay as written.
// Every other package is forwarded to the registry this run already uses
// (JSR_URL, else jsr.io), so @std comes at the versions deno.json pins.

import { encodeHex } from "@std/encoding/hex";
import { deadline } from "./_util.ts";

/** One published file: its path in the package (from `/`) and its bytes. */
export interface PackageFile {
  path: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** A package version as the registry serves it. */
export interface Package {
  /** `@scope/name`. */
  name: string;
  version: string;
  /** `deno.json` `exports`. */
  exports: Record<string, string>;
  files: PackageFile[];
}

/** How long preparing the package (publish, module graph) may take. */
const PREPARE_MS = 60_000;

async function deno(
  args: string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  const output = await deadline(
    new Deno.Command(Deno.execPath(), {
      args,
      cwd,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output(),
    `deno ${args.join(" ")}`,
    PREPARE_MS,
  );
  const decoder = new TextDecoder();
  const result = {
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  if (!output.success) {
    throw new Error(`deno ${args.join(" ")} failed: ${result.stderr}`);
  }
  return result;
}

/**
 * The files `deno publish --dry-run` would upload from `root`, as paths
 * relative to it (`cmd/talker.ts`).
 */
export async function publishedPaths(root: string): Promise<string[]> {
  const { stderr } = await deno(
    ["publish", "--dry-run", "--allow-dirty", "--no-check"],
    root,
  );
  const base = new URL(`file://${root.replace(/\/?$/, "/")}`).href;
  const paths = [...stderr.matchAll(/^\s+(file:\/\/\S+) \([^)]*\)$/gm)]
    .map(([, url]) => {
      if (!url!.startsWith(base)) throw new Error(`Outside the root: ${url}`);
      return decodeURIComponent(url!.slice(base.length));
    });
  if (paths.length === 0) {
    throw new Error(`deno publish --dry-run listed no file: ${stderr}`);
  }
  return paths;
}

/**
 * Rewrite `specifier` through `imports` (an import map's `imports`) as
 * `deno publish` does: an exact key; else the longest key that is a prefix
 * of it, either ending in `/` or naming a `jsr:`/`npm:` package whose
 * sub-path follows (`@std/cli` maps `@std/cli/parse-args`). Undefined for a
 * specifier the map does not name.
 */
export function unfurlSpecifier(
  specifier: string,
  imports: Record<string, string>,
): string | undefined {
  if (Object.hasOwn(imports, specifier)) return imports[specifier];
  let best: string | undefined;
  for (const [key, target] of Object.entries(imports)) {
    const prefix = key.endsWith("/")
      ? key
      : /^(jsr|npm):/.test(target)
      ? `${key}/`
      : undefined;
    if (prefix === undefined || !specifier.startsWith(prefix)) continue;
    if (best === undefined || key.length > best.length) best = key;
  }
  return best === undefined
    ? undefined
    : imports[best]! + specifier.slice(best.length);
}

interface Span {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** The bare specifiers of each local module and where they are, per Deno's module graph. */
async function bareSpecifiers(
  root: string,
  modules: string[],
): Promise<Map<string, { specifier: string; span: Span }[]>> {
  // One graph for every module: a scratch entry importing each of them.
  const dir = await Deno.makeTempDir({ prefix: "beejnet_registry_" });
  try {
    const entry = `${dir}/all.ts`;
    await Deno.writeTextFile(
      entry,
      modules.map((m) => `import ${JSON.stringify(`file://${root}/${m}`)};\n`)
        .join(""),
    );
    const { stdout } = await deno([
      "info",
      "--json",
      "--config",
      `${root}/deno.json`,
      entry,
    ], root);
    const graph = JSON.parse(stdout) as {
      modules: {
        specifier: string;
        dependencies?: {
          specifier: string;
          code?: { span: Span };
          type?: { span: Span };
        }[];
      }[];
    };
    const found = new Map<string, { specifier: string; span: Span }[]>();
    const base = `file://${root}/`;
    for (const module of graph.modules) {
      if (!module.specifier.startsWith(base)) continue;
      const path = module.specifier.slice(base.length);
      const bare = (module.dependencies ?? []).flatMap((d) =>
        /^[./]|^[a-z][a-z0-9+.-]*:/i.test(d.specifier)
          ? []
          : [d.code, d.type].filter((x) => x !== undefined).map((x) => ({
            specifier: d.specifier,
            span: x.span,
          }))
      );
      found.set(path, bare);
    }
    return found;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Replace each quoted specifier at its span (line, UTF-16 column) by its target. */
function rewrite(
  path: string,
  text: string,
  at: { specifier: string; span: Span }[],
  imports: Record<string, string>,
): string {
  const lines = text.split("\n");
  // From the last, so earlier spans stay where they are.
  const sorted = [...at].sort((a, b) =>
    b.span.start.line - a.span.start.line ||
    b.span.start.character - a.span.start.character
  );
  for (const { specifier, span } of sorted) {
    if (span.start.line !== span.end.line) {
      throw new Error(`${path}: a specifier over lines: ${specifier}`);
    }
    const line = lines[span.start.line]!;
    const quoted = line.slice(span.start.character, span.end.character);
    if (quoted.slice(1, -1) !== specifier) {
      throw new Error(
        `${path}:${span.start.line + 1}: "${quoted}" is not "${specifier}"`,
      );
    }
    const target = unfurlSpecifier(specifier, imports);
    if (target === undefined) {
      throw new Error(`${path}: "${specifier}" is not in the import map`);
    }
    lines[span.start.line] = line.slice(0, span.start.character) +
      quoted[0] + target + quoted.at(-1) + line.slice(span.end.character);
  }
  return lines.join("\n");
}

/**
 * The package in `root` as `deno publish` would upload it: the files its
 * dry run lists, the bare specifiers of its modules unfurled.
 */
export async function packageFromCheckout(
  checkout: string,
): Promise<Package> {
  const root = checkout.replace(/\/+$/, "");
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const paths = await publishedPaths(root);
  const modules = paths.filter((p) => /\.[cm]?[jt]sx?$/.test(p));
  const specifiers = await bareSpecifiers(root, modules);
  const files: PackageFile[] = [];
  for (const path of paths) {
    let bytes = await Deno.readFile(`${root}/${path}`);
    const at = modules.includes(path) ? specifiers.get(path) : [];
    if (at === undefined) throw new Error(`${path}: not in the module graph`);
    if (at.length > 0) {
      const text = new TextDecoder().decode(bytes);
      bytes = new TextEncoder().encode(
        rewrite(path, text, at, config.imports ?? {}),
      );
    }
    files.push({ path: `/${path}`, bytes });
  }
  return {
    name: config.name,
    version: config.version,
    exports: config.exports,
    files,
  };
}

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "application/javascript",
  ".json": "application/json",
  ".md": "text/markdown",
};

function contentType(path: string): string {
  const ext = /\.[^./]+$/.exec(path)?.[0] ?? "";
  return TYPES[ext] ?? "application/octet-stream";
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return encodeHex(await crypto.subtle.digest("SHA-256", bytes));
}

/** A JSR registry on 127.0.0.1 serving `packages` and forwarding the rest. */
export class LoopbackRegistry implements AsyncDisposable {
  /** What JSR_URL should be: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The paths asked for, in order. */
  readonly requests: string[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;

  private constructor(
    routes: Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>,
    served: string[],
    upstream: string,
  ) {
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      this.requests.push(path);
      const route = routes.get(path);
      if (route) {
        return new Response(route.body, {
          headers: { "content-type": route.type },
        });
      }
      if (served.some((base) => path.startsWith(base))) {
        return new Response("not found", { status: 404 });
      }
      // Another package: from the registry this run uses.
      const response = await fetch(new URL(path.slice(1), upstream), {
        signal: AbortSignal.timeout(PREPARE_MS),
      });
      return new Response(await response.arrayBuffer(), {
        status: response.status,
        headers: {
          "content-type": response.headers.get("content-type") ??
            contentType(path),
        },
      });
    });
    this.url = `http://127.0.0.1:${this.#server.addr.port}/`;
  }

  /**
   * Serve `packages` (each at its one version, the latest) and forward every
   * other path to `upstream` (JSR_URL, else jsr.io).
   */
  static async start(
    packages: Package[],
    upstream: string = Deno.env.get("JSR_URL") || "https://jsr.io/",
  ): Promise<LoopbackRegistry> {
    const routes = new Map<
      string,
      { body: Uint8Array<ArrayBuffer>; type: string }
    >();
    const json = (value: unknown): {
      body: Uint8Array<ArrayBuffer>;
      type: string;
    } => ({
      body: new TextEncoder().encode(JSON.stringify(value, null, 2)),
      type: "application/json",
    });
    for (const pkg of packages) {
      const [scope, name] = pkg.name.replace(/^@/, "").split("/");
      const base = `/@${scope}/${name}`;
      routes.set(
        `${base}/meta.json`,
        json({
          scope,
          name,
          latest: pkg.version,
          versions: { [pkg.version]: {} },
        }),
      );
      const manifest: Record<string, { size: number; checksum: string }> = {};
      for (const file of pkg.files) {
        manifest[file.path] = {
          size: file.bytes.length,
          checksum: `sha256-${await sha256(file.bytes)}`,
        };
        routes.set(`${base}/${pkg.version}${file.path}`, {
          body: file.bytes,
          type: contentType(file.path),
        });
      }
      routes.set(
        `${base}/${pkg.version}_meta.json`,
        json({ manifest, exports: pkg.exports }),
      );
    }
    return new LoopbackRegistry(
      routes,
      packages.map((pkg) => `/${pkg.name}/`),
      upstream.replace(/\/?$/, "/"),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
  }
}
