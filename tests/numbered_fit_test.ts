/**
 * The numbered header's size and what fits a numbered datagram: one rule,
 * lib/_sender.ts's, for the library and the tools alike.
 *
 * @module
 */

import { assertEquals, assertStrictEquals } from "@std/assert";
import { NUMBERED_HEADER_SIZE, numberedFit } from "../lib/_sender.ts";
import * as numbered from "../lib/numbered_datagram.ts";

Deno.test("numberedFit() says what a size holds: the header, the payload, then padding", () => {
  assertEquals(numberedFit(5), {
    size: 25,
    room: 5,
    fits: true,
    padded: false,
  });
  assertEquals(numberedFit(5, 64), {
    size: 64,
    room: 44,
    fits: true,
    padded: true,
  });
  assertEquals(numberedFit(5, 24), {
    size: 24,
    room: 4,
    fits: false,
    padded: false,
  });
  assertEquals(numberedFit(0, 20), {
    size: 20,
    room: 0,
    fits: true,
    padded: false,
  });
  assertEquals(numberedFit(3, 10).room, 0);
});

Deno.test("NUMBERED_HEADER_SIZE is one constant: the library's export is the same", () => {
  assertStrictEquals(NUMBERED_HEADER_SIZE, 20);
  assertStrictEquals(numbered.NUMBERED_HEADER_SIZE, NUMBERED_HEADER_SIZE);
});

Deno.test("no tool or library file writes the numbered header's size or fit rule of its own", async () => {
  const root = new URL("../", import.meta.url);
  for (
    const file of [
      "cmd/talker.ts",
      "cmd/_datagram.ts",
      "cmd/listener.ts",
      "lib/send_numbered.ts",
      "lib/numbered_datagram.ts",
    ]
  ) {
    const text = await Deno.readTextFile(new URL(file, root));
    assertEquals(
      text.match(
        /HEADER_SIZE\s*=\s*\d|HEADER_SIZE\s*\+\s*\w+(\.length)?\s*>|<\s*(NUMBERED_)?HEADER_SIZE\s*\+/g,
      ),
      null,
      file,
    );
  }
});
