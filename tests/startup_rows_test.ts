// bench/_client.ts's instruction rows: issue 16's start-up target (≤ 1.50×
// an empty `deno run`) and goal (≤ 1.35×) judged for the client and the
// talker, the peers shown without a target.

import { assertEquals } from "@std/assert";
import { instructionRows } from "../bench/_client.ts";
import { ratio, verdict } from "../bench/_report.ts";

const labels = new Map([
  ["empty", "empty `deno run`"],
  ["ip", "client 127.0.0.1"],
  ["talker", "talker 127.0.0.1 hi"],
  ["floor", "Deno floor client (Deno.connect)"],
  ["probe-parse-args", "probe: @std/cli parseArgs, loaded and called once"],
]);

Deno.test("instructionRows() judges the client and the talker against the target and the goal", () => {
  const rows = instructionRows({
    clientLabels: labels,
    clientInstructions: new Map([
      ["empty", 47_100_000],
      ["ip", 63_000_000], // 1.34×: both
      ["talker", 70_000_000], // 1.49×: the target, not the goal
      ["floor", 50_660_000],
      ["probe-parse-args", 53_620_000],
    ]),
  });
  assertEquals(
    rows.map((r) => [r.figure, r.target?.text ?? "", verdict(r)]),
    [
      ["client 127.0.0.1", "≤ 1.50×", "PASS"],
      ["client 127.0.0.1 (goal)", "≤ 1.35×", "PASS"],
      ["talker 127.0.0.1 hi", "≤ 1.50×", "PASS"],
      ["talker 127.0.0.1 hi (goal)", "≤ 1.35×", "MISS"],
      ["Deno floor client (Deno.connect)", "", ""],
      ["probe: @std/cli parseArgs, loaded and called once", "", ""],
    ],
  );
  for (const row of rows) {
    assertEquals(row.unit, "M instructions");
    assertEquals(row.peer, "empty `deno run`");
    assertEquals(row.peerValue, 47.1);
  }
  assertEquals(ratio(rows[0]!)?.toFixed(2), "1.34");
});

Deno.test("instructionRows() misses a start-up above 1.50× and has no rows without counts", () => {
  const rows = instructionRows({
    clientLabels: labels,
    clientInstructions: new Map([["empty", 47_100_000], ["ip", 97_560_000]]),
  });
  assertEquals(rows.map(verdict), ["MISS", "MISS"]);
  assertEquals(
    instructionRows({ clientLabels: labels, clientInstructions: undefined }),
    [],
  );
});

Deno.test("instructionRows() says n/a when the empty run was not counted", () => {
  const rows = instructionRows({
    clientLabels: labels,
    clientInstructions: new Map([["ip", 97_560_000]]),
  });
  assertEquals(rows.map(verdict), ["n/a", "n/a"]);
});

Deno.test("instructionRows() shows the tools run from source as rows without a target", () => {
  const rows = instructionRows({
    clientLabels: new Map([
      ...labels,
      ["ip-source", "client 127.0.0.1, from source (cmd/client.ts)"],
      ["talker-source", "talker 127.0.0.1 hi, from source (cmd/talker.ts)"],
    ]),
    clientInstructions: new Map([
      ["empty", 47_100_000],
      ["ip", 66_000_000],
      ["ip-source", 97_560_000],
      ["talker-source", 99_000_000],
    ]),
  });
  assertEquals(
    rows.map((r) => [r.figure, r.target?.text ?? "", verdict(r)]),
    [
      ["client 127.0.0.1", "≤ 1.50×", "PASS"],
      ["client 127.0.0.1 (goal)", "≤ 1.35×", "MISS"],
      ["client 127.0.0.1, from source (cmd/client.ts)", "", ""],
      ["talker 127.0.0.1 hi, from source (cmd/talker.ts)", "", ""],
    ],
  );
});
