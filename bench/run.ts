// deno-lint-ignore-file no-console
/**
 * `deno task bench`: the beejnet tools against C, Node and Deno's own floor,
 * all measured in one run on this machine (issue 4).
 *
 * ```sh
 * deno task bench                # full run (≲ 10 min): bench/RESULTS.md, bench/connections.svg
 * deno task bench --quick        # CI smoke (≲ 60 s): bench/out/RESULTS.md, bench/out/connections.svg
 * deno task bench --only tcp,udp,client --runs 5 --server cmd/server.ts
 * ```
 *
 * Builds the C peers with `cc -O2` into bench/build/, pins every server or
 * receiver to core 1 and the load generator or sender to core 0 (where taskset
 * exists), runs each measurement `--runs` times (at least 3) round-robin and
 * reports medians, each beside its peer from the same run. The table goes to
 * stdout, progress to stderr.
 *
 * @module
 */

import { type Bar, barChart } from "./_svg.ts";
import { timeCommands } from "./_client.ts";
import {
  hasProgram,
  type Host,
  runCommand,
  runJson,
  startPeer,
  udpSocketStats,
} from "./_proc.ts";
import { profileSyscalls } from "./_syscalls.ts";
import { markdownTable, median, textTable, verdict } from "./_report.ts";
import {
  LOAD_CPU,
  type LoadResult,
  measureServers,
  type ServerSpec,
} from "./_tcp.ts";
import {
  clientRows,
  findings,
  type Measured,
  pick,
  tcpRows,
  udpRows,
} from "./_figures.ts";
import { bufferCapacity, measureReceivers, type ReceiverSpec } from "./_udp.ts";

const SECTIONS = ["tcp", "udp", "client"] as const;
type Section = typeof SECTIONS[number];

/** What a run measures, and how long. */
interface Settings {
  quick: boolean;
  /** Profile syscalls per event under strace (full runs, where strace exists). */
  profile: boolean;
  runs: number;
  sections: Set<Section>;
  tools: { server: string; listener: string; client: string };
  /** The `deno run` flags of each tool: its deno.json task's, else `--allow-net`. */
  flags: { server: string[]; listener: string[]; client: string[] };
  outDir: string;
  tcp: {
    inFlight: number;
    warmupS: number;
    durationS: number;
    latencyCount: number;
  };
  udp: {
    rate: number;
    lossSeconds: number;
    trialSeconds: number;
    searchSteps: number;
    flatOutCount: number;
    size: number;
  };
  client: { runs: number; warmup: number };
}

const USAGE =
  `usage: deno task bench [--quick] [--no-profile] [--runs N] [--only tcp,udp,client]
                       [--server PATH] [--listener PATH] [--client PATH] [--out DIR]`;

function fail(message: string): never {
  console.error(`bench: ${message}`);
  console.error(USAGE);
  Deno.exit(2);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The flags `deno task NAME` gives `deno run` when that task runs `script`
 * (`deno run FLAGS… script`), so the bench runs each tool as users do;
 * `--allow-net` otherwise.
 */
function taskFlags(root: string, name: string, script: string): string[] {
  try {
    const config = JSON.parse(Deno.readTextFileSync(`${root}/deno.json`)) as {
      tasks?: Record<string, string>;
    };
    const words = (config.tasks?.[name] ?? "").trim().split(/\s+/);
    if (words[0] === "deno" && words[1] === "run" && words.at(-1) === script) {
      return words.slice(2, -1);
    }
  } catch {
    // No readable deno.json: the default.
  }
  return ["--allow-net"];
}

function parseSettings(args: string[], root: string): Settings {
  let quick = false, runs: number | undefined, outDir: string | undefined;
  let profile: boolean | undefined;
  let sections = new Set<Section>(SECTIONS);
  const tools: Record<string, string | undefined> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) fail(`Missing value after "${arg}"`);
      return v;
    };
    if (arg === "--quick") quick = true;
    else if (arg === "--no-profile") profile = false;
    else if (arg === "--runs") {
      const v = value();
      runs = Number(v);
      if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
        fail(`Invalid runs "${v}": an integer in [1, 20]`);
      }
    } else if (arg === "--only") {
      const list = value().split(",");
      for (const s of list) {
        if (!(SECTIONS as readonly string[]).includes(s)) {
          fail(`Unknown section "${s}"`);
        }
      }
      sections = new Set(list as Section[]);
    } else if (["--server", "--listener", "--client"].includes(arg)) {
      tools[arg.slice(2)] = value();
    } else if (arg === "--out") outDir = value();
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      Deno.exit(0);
    } else fail(`Unknown option "${arg}"`);
  }
  const tool = (name: string, standIn: string): string => {
    const given = tools[name];
    if (given !== undefined) return given;
    return exists(`${root}/cmd/${name}.ts`) ? `cmd/${name}.ts` : standIn;
  };
  const paths = {
    server: tool("server", "bench/peers/deno_server.ts"),
    listener: tool("listener", "bench/peers/deno_listener.ts"),
    client: tool("client", "bench/peers/deno_client.ts"),
  };
  return {
    quick,
    profile: profile ?? !quick,
    runs: runs ?? 3,
    sections,
    tools: paths,
    flags: {
      server: taskFlags(root, "server", paths.server),
      listener: taskFlags(root, "listener", paths.listener),
      client: taskFlags(root, "client", paths.client),
    },
    // Only a full run of every section replaces the committed results.
    outDir: outDir ??
      (quick || sections.size < SECTIONS.length ? "bench/out" : "bench"),
    tcp: quick
      ? { inFlight: 64, warmupS: 0.2, durationS: 0.6, latencyCount: 1000 }
      : { inFlight: 64, warmupS: 0.5, durationS: 3, latencyCount: 5000 },
    udp: quick
      ? {
        rate: 50_000,
        lossSeconds: 0.5,
        trialSeconds: 0.25,
        searchSteps: 3,
        flatOutCount: 60_000,
        size: 32,
      }
      : {
        rate: 50_000,
        lossSeconds: 3,
        trialSeconds: 1,
        searchSteps: 6,
        flatOutCount: 300_000,
        size: 32,
      },
    client: quick ? { runs: 5, warmup: 1 } : { runs: 30, warmup: 3 },
  };
}

const C_PEERS = [
  "loadgen",
  "udpsend",
  "epoll_server",
  "fork_server",
  "udp_recv",
  "peakrss",
];

/** Builds the C peers; returns the paths of those built, and why others were not. */
async function buildPeers(
  host: Host,
): Promise<{ built: Map<string, string>; notes: string[] }> {
  const built = new Map<string, string>();
  const notes: string[] = [];
  if (!(await hasProgram("cc"))) {
    notes.push(
      "No C compiler (`cc`): the load generator, the UDP sender and the C peers were not built, " +
        "so the TCP and UDP parts were skipped (install one: `apt-get install -y gcc`).",
    );
    return { built, notes };
  }
  await Deno.mkdir(`${host.root}/bench/build`, { recursive: true });
  for (const name of C_PEERS) {
    const out = `bench/build/${name}`;
    const r = await runCommand(host, [
      "cc",
      "-O2",
      "-Wall",
      "-o",
      out,
      `bench/peers/${name}.c`,
    ], { timeoutMs: 60_000 });
    if (r.code === 0) built.set(name, `${host.root}/${out}`);
    else {notes.push(
        `\`cc\` failed on bench/peers/${name}.c: ${
          r.stderr.trim().split("\n")[0]
        }`,
      );}
  }
  return { built, notes };
}

/** The peak RSS of an idle `deno run` of an empty script, KiB (median of `runs`). */
async function emptyDenoRss(
  host: Host,
  peakrss: string,
  deno: string,
  runs: number,
): Promise<number | undefined> {
  const kib: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runCommand(host, [
      peakrss,
      deno,
      "run",
      "bench/peers/empty.ts",
    ]);
    const m = /peakrss: (\{.*\})/.exec(r.stderr);
    if (m?.[1]) kib.push((JSON.parse(m[1]) as { maxrss_kb: number }).maxrss_kb);
  }
  return median(kib);
}

async function machine(host: Host): Promise<Record<string, string>> {
  const first = async (cmd: string[]): Promise<string> => {
    try {
      const r = await runCommand(host, cmd, { timeoutMs: 10_000 });
      return (r.stdout || r.stderr).trim().split("\n")[0] ?? "";
    } catch {
      return "not found";
    }
  };
  let cpu = "unknown";
  try {
    cpu =
      /^model name\s*:\s*(.*)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))
        ?.[1] ?? cpu;
  } catch {
    // Not Linux.
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: String(navigator.hardwareConcurrency),
    cpu,
    kernel: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    node: await first(["node", "--version"]),
    cc: await first(["cc", "--version"]),
    hyperfine: await first(["hyperfine", "--version"]),
    commit: await first(["git", "describe", "--always", "--dirty"]),
    taskset: host.taskset
      ? "servers and receivers on core 1, load generator and sender on core 0"
      : "not found: nothing pinned",
  };
}

async function workersSpec(
  host: Host,
  spec: ServerSpec,
  notes: string[],
): Promise<ServerSpec> {
  try {
    const peer = await startPeer(host, [...spec.cmd, ...spec.portArgs]);
    await peer.stop();
    return spec;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!/read access/i.test(message)) return spec;
    notes.push(
      "`server --workers 2` exits at once under `--allow-net` alone (the permission of " +
        "`deno task server` and of the compiled binary): " +
        `${
          message.replace(/^.*before it was ready: /, "")
        }. It was measured with ` +
        "`--allow-read` added.",
    );
    const [deno = "deno", run = "run", ...rest] = spec.cmd;
    return { ...spec, cmd: [deno, run, "--allow-read", ...rest] };
  }
}

// ---------------------------------------------------------------------------

async function main(args: string[]): Promise<number> {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const s = parseSettings(args, root);
  const host: Host = {
    root,
    taskset: await hasProgram("taskset", "--version"),
  };
  const deno = Deno.execPath();
  const started = performance.now();
  const progress = (msg: string): void => {
    console.error(
      `[${
        ((performance.now() - started) / 1000).toFixed(0).padStart(4)
      } s] ${msg}`,
    );
  };
  const scratch = `${root}/bench/build/tmp`;
  await Deno.mkdir(scratch, { recursive: true });
  await Deno.mkdir(`${root}/${s.outDir}`, { recursive: true });

  const notes: string[] = [];
  const { built, notes: buildNotes } = await buildPeers(host);
  notes.push(...buildNotes);
  const node = await hasProgram("node");
  if (!node) notes.push("No `node`: the Node peer was skipped.");
  const hyperfine = await hasProgram("hyperfine");
  for (const [tool, path] of Object.entries(s.tools)) {
    if (path.startsWith("bench/peers/")) {
      notes.push(
        `cmd/${tool}.ts does not exist: its figures are of the stand-in ${path}.`,
      );
    }
  }
  progress(
    `tools: ${Object.values(s.tools).join(", ")}; runs ${s.runs}; ${
      s.quick ? "quick" : "full"
    }; C peers built: ${[...built.keys()].join(", ") || "none"}`,
  );
  const m: Measured = {
    tcpProfiles: [],
    udpProfiles: [],
    serverLabels: new Map(),
    receiverLabels: new Map(),
    clientLabels: new Map(),
  };
  const loadgen = built.get("loadgen");

  if (s.sections.has("tcp") && loadgen) {
    const server = [deno, "run", ...s.flags.server, s.tools.server];
    const floor = [deno, "run", "--allow-net", "bench/peers/deno_server.ts"];
    const tool = (
      key: string,
      label: string,
      extra: string[],
      file = true,
    ): ServerSpec => ({
      key,
      label,
      cmd: [...server, ...extra],
      portArgs: ["--port", "0"],
      stdoutToFile: file,
      ours: true,
    });
    const specs: ServerSpec[] = [
      tool("log", "server, log → file", []),
      tool("quiet", "server --quiet", ["--quiet"]),
      await workersSpec(
        host,
        tool("workers2", "server --workers 2, log → file", [
          "--workers",
          "2",
        ]),
        notes,
      ),
      {
        key: "floor",
        label: "Deno floor (Deno.listen loop)",
        cmd: [...floor, "--quiet"],
        portArgs: ["--port", "0"],
        stdoutToFile: false,
        ours: false,
      },
      {
        key: "floor-log",
        label: "Deno floor + console.log → file",
        cmd: floor,
        portArgs: ["--port", "0"],
        stdoutToFile: true,
        ours: false,
      },
    ];
    const cPeer = (
      key: string,
      label: string,
      bin: string | undefined,
    ): void => {
      if (bin) {
        specs.push({
          key,
          label,
          cmd: [bin],
          portArgs: ["0"],
          stdoutToFile: false,
          ours: false,
        });
      }
    };
    if (!s.quick) {
      // What a cap on V8's young generation does to memory and speed (full runs only).
      const cap = "--v8-flags=--max-semi-space-size=1";
      const v8 = s.flags.server.some((f) => f.startsWith("--v8-flags"));
      specs.push({
        // The server as the task runs it has V8 flags: measure it without them too.
        ...tool(
          "log-cap",
          v8
            ? "server, log → file, no --v8-flags"
            : "server, log → file, semi-space 1 MiB",
          [],
        ),
        cmd: v8
          ? [deno, "run", "--allow-net", s.tools.server]
          : [deno, "run", "--allow-net", cap, s.tools.server],
      }, {
        key: "floor-cap",
        label: "Deno floor, semi-space 1 MiB",
        cmd: [
          deno,
          "run",
          "--allow-net",
          cap,
          "bench/peers/deno_server.ts",
          "--quiet",
        ],
        portArgs: ["--port", "0"],
        stdoutToFile: false,
        ours: false,
      });
    }
    cPeer("epoll", "C epoll", built.get("epoll_server"));
    if (node) {
      specs.push({
        key: "node",
        label: "Node net",
        cmd: ["node", "bench/peers/node_server.mjs"],
        portArgs: ["0"],
        stdoutToFile: false,
        ours: false,
      });
    }
    cPeer("fork", "C fork per connection", built.get("fork_server"));
    for (const spec of specs) m.serverLabels.set(spec.key, spec.label);
    m.tcp = await measureServers(host, loadgen, specs, {
      ...s.tcp,
      runs: s.runs,
      scratch,
    }, progress);
    if (s.profile && await hasProgram("strace", "-V")) {
      const count = 3000;
      progress(`tcp: syscall profiles under strace, ${count} connections each`);
      for (
        const spec of specs.filter((x) =>
          ["epoll", "floor", "quiet", "log"].includes(x.key)
        )
      ) {
        m.tcpProfiles.push(
          await profileSyscalls(
            host,
            { ...spec, stopSignal: "SIGTERM" },
            async (port) => {
              const r = await runJson<LoadResult>(host, [
                loadgen,
                "-p",
                String(port),
                "-c",
                "8",
                "-n",
                String(count),
                "-t",
                "60",
              ], { cpu: LOAD_CPU, timeoutMs: 90_000 });
              return r.all_conns;
            },
            scratch,
          ),
        );
      }
    }
    const peakrss = built.get("peakrss");
    if (peakrss) {
      m.emptyRssKib = await emptyDenoRss(
        host,
        peakrss,
        deno,
        Math.max(3, s.runs),
      );
    }
    const chartBars: Bar[] = specs.map((spec) => ({
      label: spec.label,
      value: pick(m.tcp?.get(spec.key), (r) => r.throughput?.conns_per_s),
      ours: spec.ours,
    }));
    const svg = barChart(chartBars, {
      title:
        `Connections/s, ${s.tcp.inFlight} in flight (median of ${s.runs} runs)`,
      subtitle:
        `${navigator.hardwareConcurrency} cores, loopback, C load generator on core 0, ` +
        `server on core 1 — ${new Date().toISOString().slice(0, 10)}`,
      unit: "conns/s",
    });
    const svgPath = `${root}/${s.outDir}/connections.svg`;
    await Deno.writeTextFile(svgPath, svg);
    // Committed beside the code, so in the layout `deno fmt --check` expects.
    await runCommand(host, [deno, "fmt", "--quiet", svgPath]).catch(() =>
      undefined
    );
  }

  const udpsend = built.get("udpsend");
  if (s.sections.has("udp") && udpsend) {
    const listener = [deno, "run", ...s.flags.listener, s.tools.listener];
    const floor = [deno, "run", "--allow-net", "bench/peers/deno_listener.ts"];
    const specs: ReceiverSpec[] = [
      {
        key: "file",
        label: "listener --keep, output → file",
        cmd: [...listener, "--keep"],
        portArgs: ["--port", "0"],
        stdoutToFile: true,
        ours: true,
        stopSignal: "SIGINT",
        linesPerDatagram: 3,
      },
      {
        key: "quiet",
        label: "listener --keep --quiet",
        cmd: [...listener, "--keep", "--quiet"],
        portArgs: ["--port", "0"],
        stdoutToFile: true,
        ours: true,
        stopSignal: "SIGINT",
      },
      {
        key: "floor",
        label: "Deno floor (receive loop)",
        cmd: [...floor, "--quiet"],
        portArgs: ["--port", "0"],
        stdoutToFile: false,
        ours: false,
        stopSignal: "SIGINT",
      },
    ];
    const recv = built.get("udp_recv");
    if (recv) {
      specs.push({
        key: "c",
        label: "C recv loop",
        cmd: [recv],
        portArgs: ["0"],
        stdoutToFile: false,
        ours: false,
        stopSignal: "SIGTERM",
      });
      if (!s.quick) {
        specs.push({
          key: "c-file",
          label: "C recv loop, 3 lines → file (stdio)",
          cmd: [recv, "-v"],
          portArgs: ["0"],
          stdoutToFile: true,
          ours: false,
          stopSignal: "SIGTERM",
          linesPerDatagram: 3,
        });
      }
    }
    for (const spec of specs) m.receiverLabels.set(spec.key, spec.label);
    m.udp = await measureReceivers(host, udpsend, specs, {
      ...s.udp,
      runs: s.runs,
      scratch,
    }, progress);
    if (recv) {
      m.udpBuffer = await bufferCapacity(host, udpsend, recv, s.udp.size)
        .catch(() => undefined);
    }
    if (s.profile && await hasProgram("strace", "-V")) {
      const count = 3000;
      progress(
        `udp: syscall profiles under strace, ${count} datagrams at 5,000/s each`,
      );
      for (
        const spec of specs.filter((x) =>
          ["file", "quiet", "c"].includes(x.key)
        )
      ) {
        m.udpProfiles.push(
          await profileSyscalls(host, spec, async (port) => {
            const before = udpSocketStats(port).drops;
            const r = await runJson<{ sent: number }>(host, [
              udpsend,
              "-p",
              String(port),
              "-n",
              String(count),
              "-r",
              "5000",
              "-s",
              String(s.udp.size),
            ], { cpu: LOAD_CPU, timeoutMs: 60_000 });
            for (let i = 0; i < 400 && udpSocketStats(port).rxQueue > 0; i++) {
              await new Promise((r) => setTimeout(r, 25));
            }
            return r.sent - (udpSocketStats(port).drops - before);
          }, scratch),
        );
      }
    }
  }

  if (s.sections.has("client")) {
    // The target: the C epoll server where built (its speed is not what is timed), else the floor.
    const target = built.get("epoll_server")
      ? [built.get("epoll_server") ?? "", "0"]
      : [
        deno,
        "run",
        "--allow-net",
        "bench/peers/deno_server.ts",
        "--quiet",
        "--port",
        "0",
      ];
    const peer = await startPeer(host, target, { cpu: "1" });
    try {
      const port = String(peer.port);
      await Deno.writeTextFile(
        `${root}/bench/build/probe_client_graph.ts`,
        `// Probe: load the client's module graph, run nothing.\nimport ${
          JSON.stringify(new URL(s.tools.client, `file://${root}/`).href)
        };\n`,
      );
      const received = /received 'Hello, world!'/;
      const run = (...args: string[]): string[] => [deno, "run", ...args];
      const client = (host: string): string[] =>
        run(...s.flags.client, s.tools.client, host, "--port", port);
      const commands = [
        {
          key: "empty",
          label: "empty `deno run`",
          cmd: run("bench/peers/empty.ts"),
        },
        {
          key: "ip",
          label: "client 127.0.0.1",
          cmd: client("127.0.0.1"),
          expect: received,
        },
        {
          key: "name",
          label: "client localhost",
          cmd: client("localhost"),
          expect: received,
        },
        {
          key: "floor",
          label: "Deno floor client (Deno.connect)",
          cmd: run(
            "--allow-net",
            "bench/peers/deno_client.ts",
            "127.0.0.1",
            "--port",
            port,
          ),
          expect: received,
        },
        {
          key: "probe-graph",
          label: "probe: load the client's modules, run nothing",
          cmd: run("bench/build/probe_client_graph.ts"),
        },
        {
          key: "probe-timer",
          label: "probe: first setTimeout + clearTimeout",
          cmd: run("bench/peers/probe_timer.ts"),
        },
        {
          key: "probe-net",
          label: 'probe: import "node:net"',
          cmd: run("bench/peers/probe_net.ts"),
        },
        {
          key: "probe-dns",
          label: 'probe: node:dns lookup("localhost")',
          cmd: run("--allow-net", "--allow-sys", "bench/peers/probe_dns.ts"),
        },
      ];
      for (const c of commands) m.clientLabels.set(c.key, c.label);
      progress(
        `client: timing ${commands.length} commands${
          hyperfine ? " with hyperfine" : ""
        }`,
      );
      m.client = await timeCommands(host, commands, {
        ...s.client,
        hyperfine,
        scratch,
      });
    } finally {
      await peer.stop();
    }
  }

  const rows = [...tcpRows(m), ...udpRows(m, s.udp.rate), ...clientRows(m)];
  const info = await machine(host);
  const elapsed = (performance.now() - started) / 1000;
  const table = textTable(rows);
  console.log(table);
  const targets = rows.filter((r) => r.target);
  console.log("");
  for (const r of targets) {
    console.log(
      `${verdict(r).padEnd(4)}  ${r.figure}  ${r.target?.text} ${r.peer}`,
    );
  }
  for (const f of findings(m)) console.log(`* ${f}`);
  for (const n of notes) console.log(`note: ${n}`);

  const md = [
    "# beejnet benchmark results",
    "",
    `Written by \`deno task bench${
      s.quick ? " --quick" : ""
    }\` (bench/run.ts) on ${info.date}, ` +
    `in ${
      elapsed.toFixed(0)
    } s. Medians of ${s.runs} runs; every ratio is to the peer ` +
    "measured in the same run. How to read each figure: [README.md](README.md).",
    "",
    "## Machine",
    "",
    ...Object.entries(info).map(([k, v]) => `- ${k}: ${v}`),
    `- tools, as run: ${
      (["server", "listener", "client"] as const).map((t) =>
        "`deno run " + [...s.flags[t], s.tools[t]].join(" ") + "`"
      ).join(", ")
    }`,
    "",
    "## Targets (issue 4)",
    "",
    ...targets.map((r) =>
      `- **${verdict(r)}** ${r.figure} ${r.target?.text}${
        r.target?.of === "ratio" ? ` ${r.peer}` : ""
      }`
    ),
    "",
    "## What bounds the figures",
    "",
    ...findings(m).map((f) => `- ${f}`),
    "",
    "The profiles and traces behind these, and what to change in the tools: " +
    "[README.md](README.md#findings).",
    "",
    "## Figures",
    "",
    markdownTable(rows),
    "",
    "![connections/s per server](connections.svg)",
    "",
    ...(notes.length > 0
      ? ["## Notes", "", ...notes.map((n) => `- ${n}`), ""]
      : []),
  ].join("\n");
  await Deno.writeTextFile(`${root}/${s.outDir}/RESULTS.md`, md);
  await Deno.writeTextFile(
    `${root}/bench/build/raw.json`,
    JSON.stringify(
      {
        info,
        settings: { ...s, sections: [...s.sections] },
        tcp: Object.fromEntries(m.tcp ?? []),
        emptyRssKib: m.emptyRssKib,
        udp: Object.fromEntries(m.udp ?? []),
        client: Object.fromEntries(m.client ?? []),
      },
      null,
      1,
    ),
  );
  progress(
    `wrote ${s.outDir}/RESULTS.md${
      m.tcp ? ` and ${s.outDir}/connections.svg` : ""
    }`,
  );
  // A MISS is a finding, not a failure; a target that could not be measured
  // at all (a tool that did not start, say) fails the run, so CI notices.
  const unmeasured = targets.filter((r) => verdict(r) === "n/a");
  for (const r of unmeasured) {
    console.error(`bench: not measured: ${r.figure} (${r.note ?? "no value"})`);
  }
  return unmeasured.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
