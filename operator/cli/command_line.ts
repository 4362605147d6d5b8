import type { Command } from "commander";

/**
 * The subcommand `args` name, and where: the first argument that is
 * neither an option nor the value of one of `program`'s options that take
 * a value (`-s url`, `--timeout 2s`), before any `--`. Read from the raw
 * arguments, so it is known even when parsing fails.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { commandOf } from "./command_line.ts";
 * const program = new Command().option("-s, --server <url>");
 * program.command("exec");
 * commandOf(program, ["-s", "nats://h", "exec", "d1"]); // { name: "exec", index: 2 }
 * ```
 */
export function commandOf(
  program: Command,
  args: readonly string[],
): { name: string; index: number } | undefined {
  const takesValue = new Set<string>();
  for (const option of program.options) {
    if (!option.required && !option.optional) continue;
    if (option.long) takesValue.add(option.long);
    if (option.short) takesValue.add(option.short);
  }
  const names = new Set(program.commands.map((command) => command.name()));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return undefined;
    if (arg.startsWith("-")) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    return names.has(arg) ? { name: arg, index: i } : undefined;
  }
  return undefined;
}
