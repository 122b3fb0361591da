// An empty script: the floor of any `deno run`, startup and exit only.
