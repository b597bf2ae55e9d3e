/**
 * The command line shared by `npm run render`, `npm run policy` and `npm run validate`: one argument parser, one
 * `--help`, one set of exit codes and one-line errors (no stack trace for anything the user can fix).
 *
 * Exit codes: 0 ok; 1 a check failed (a policy violation, an invalid object, a config error, a stack file that does
 * not parse); 2 bad usage (an unknown option or stack, a missing argument or file).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const repoRoot = path.resolve(__dirname, "..");
/** Where the shipped stack files live (stacks/Pulumi.<name>.yaml). */
export const defaultStacksDir = path.join(repoRoot, "stacks");

/** Bad usage: printed as one line, exit 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** An input the tool was pointed at is wrong (a stack file that does not parse, unreadable JSON): one line, exit 1. */
export class InputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InputError";
    }
}

export interface OptionSpec {
    type: "string" | "boolean";
    /** What the option does, for --help. */
    description: string;
    /** The value's placeholder in --help (string options), e.g. "<name>". */
    value?: string;
    default?: string | boolean;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
    /** How it is run, e.g. "npm run render --". */
    command: string;
    /** One paragraph: what it does. */
    summary: string;
    options: O;
    /** Positional arguments, for --help (e.g. "FILE_OR_DIR..."); none allowed when absent. */
    positionals?: { name: string; description: string };
    /** Extra --help lines after the options. */
    notes?: string[];
    /** The --help line on exit codes, when it differs from the default. */
    exitCodes?: string;
}

export type Values<O extends Record<string, OptionSpec>> = {
    [K in keyof O]: O[K]["type"] extends "boolean" ? boolean : O[K] extends { default: string } ? string : string | undefined;
};

export interface Parsed<O extends Record<string, OptionSpec>> {
    values: Values<O>;
    positionals: string[];
    help: boolean;
}

/** Edit distance, for "did you mean" on a misspelled option or stack. */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = row[j];
            row[j] = next;
        }
    }
    return row[b.length];
}

/** The closest candidate, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = distance(word, c);
        if (d < bestDistance) [best, bestDistance] = [c, d];
    }
    return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Parses `--name value`, `--name=value`, boolean `--flag`, `-h`/`--help`, positionals and `--` (everything after it
 * is positional). Throws a UsageError for an unknown option, a missing value, a value given to a boolean, an
 * option given twice, or a positional the command does not take.
 */
export function parseCommandLine<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, argv: string[]): Parsed<O> {
    const values: Record<string, string | boolean | undefined> = {};
    for (const [name, o] of Object.entries(spec.options)) values[name] = o.default ?? (o.type === "boolean" ? false : undefined);
    const seen = new Set<string>();
    const positionals: string[] = [];
    let help = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--") {
            positionals.push(...argv.slice(i + 1));
            break;
        }
        if (arg === "-h" || arg === "--help") {
            help = true;
            continue;
        }
        if (!arg.startsWith("-") || arg === "-") {
            positionals.push(arg);
            continue;
        }
        const eq = arg.indexOf("=");
        const name = arg.startsWith("--") ? arg.slice(2, eq < 0 ? undefined : eq) : "";
        const option = Object.prototype.hasOwnProperty.call(spec.options, name) ? spec.options[name] : undefined;
        if (!option) {
            const guess = arg.startsWith("--") ? closest(name, Object.keys(spec.options)) : undefined;
            throw new UsageError(`unknown option ${eq < 0 ? arg : arg.slice(0, eq)}${guess ? ` (did you mean --${guess}?)` : ""}`);
        }
        if (seen.has(name)) throw new UsageError(`option --${name} given twice`);
        seen.add(name);
        if (option.type === "boolean") {
            if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
            values[name] = true;
        } else if (eq >= 0) {
            values[name] = arg.slice(eq + 1);
        } else {
            const next = argv[i + 1];
            if (next === undefined || (next.startsWith("-") && next !== "-")) throw new UsageError(`option --${name} needs a value${option.value ? ` ${option.value}` : ""}`);
            values[name] = next;
            i++;
        }
    }
    if (!help && positionals.length > 0 && !spec.positionals) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    return { values: values as Values<O>, positionals, help };
}

/** The usage line, e.g. `usage: npm run render -- [--stack <name>] [--validate]`. */
export function usageLine<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
    const opts = Object.entries(spec.options).map(([name, o]) => `[--${name}${o.type === "string" ? ` ${o.value ?? "<value>"}` : ""}]`);
    return [`usage: ${spec.command}`, ...opts, ...(spec.positionals ? [spec.positionals.name] : [])].join(" ");
}

/** A usage error's one line ends by pointing at --help. */
export function usageMessage<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, message: string, code: number): string {
    return code === EXIT_USAGE ? `${message}; see \`${spec.command} --help\`` : message;
}

/** The --help text. */
export function helpText<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
    const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => [
        `--${name}${o.type === "string" ? ` ${o.value ?? "<value>"}` : ""}`,
        `${o.description}${typeof o.default === "string" ? ` (default: ${o.default})` : ""}`,
    ]);
    if (spec.positionals) rows.unshift([spec.positionals.name, spec.positionals.description]);
    rows.push(["-h, --help", "print this help and exit"]);
    const width = Math.max(...rows.map(([l]) => l.length));
    return [
        usageLine(spec),
        "",
        spec.summary,
        "",
        ...rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`),
        "",
        ...(spec.notes ?? []),
        spec.exitCodes ?? "exit codes: 0 ok, 1 a check failed (or the stack's config/file is invalid), 2 bad usage",
    ].join("\n");
}

/** The stack names with a Pulumi.<name>.yaml in the directory, sorted. */
export function availableStacks(stacksDir = defaultStacksDir): string[] {
    if (!existsSync(stacksDir)) return [];
    return readdirSync(stacksDir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
    const rel = path.relative(process.cwd(), file);
    if (rel === "") return ".";
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/**
 * The `config:` map of stacks/Pulumi.<stack>.yaml (or of `stacksDir`). A stack without a file is a UsageError listing
 * the available ones; a file that does not parse is an InputError naming the file and line.
 */
export function loadStackConfig(stack: string, stacksDir = defaultStacksDir): Record<string, unknown> {
    const available = availableStacks(stacksDir);
    const file = [".yaml", ".yml"].map((ext) => path.join(stacksDir, `Pulumi.${stack}${ext}`)).find((f) => existsSync(f));
    if (!file || !available.includes(stack)) {
        const guess = closest(stack, available);
        throw new UsageError(
            `unknown stack ${JSON.stringify(stack)}: there is no ${displayPath(path.join(stacksDir, `Pulumi.${stack}.yaml`))}` +
                `${guess ? ` (did you mean ${guess}?)` : ""}; available stacks: ${available.join(", ") || "none"}`,
        );
    }
    const where = displayPath(file);
    let doc: unknown;
    try {
        doc = yaml.load(readFileSync(file, "utf8"), { filename: where });
    } catch (err) {
        if (err instanceof yaml.YAMLException) {
            const mark = (err as { mark?: { line: number; column: number } }).mark;
            throw new InputError(`${where}${mark ? `:${mark.line + 1}:${mark.column + 1}` : ""}: YAML syntax error: ${err.reason}`);
        }
        throw err;
    }
    if (doc === undefined || doc === null) return {};
    if (typeof doc !== "object" || Array.isArray(doc)) throw new InputError(`${where}: a stack file is a YAML mapping with a "config:" key`);
    const config = (doc as Record<string, unknown>)["config"] ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new InputError(`${where}: "config:" must be a mapping of keys to values`);
    for (const [key, value] of Object.entries(config)) {
        if (value && typeof value === "object" && "secure" in value) {
            throw new InputError(`${where}: ${key} is an encrypted (secure:) value; the offline render cannot decrypt it. Give the render a plain placeholder.`);
        }
    }
    return config as Record<string, unknown>;
}

/** Reads a JSON file the user named: a missing file is bad usage, invalid JSON an InputError naming the file. */
export function readJsonFile<T>(file: string, what: string): T {
    if (!existsSync(file)) throw new UsageError(`${what} ${displayPath(path.resolve(file))} does not exist`);
    try {
        return JSON.parse(readFileSync(file, "utf8")) as T;
    } catch (err) {
        throw new InputError(`${displayPath(path.resolve(file))}: not valid JSON: ${(err as Error).message}`);
    }
}

/** The exit code and the one-line (or, for a config error, one line per problem) message of an error. */
export function describeError(err: unknown): { code: number; message: string; stack?: string } {
    if (err instanceof UsageError) return { code: EXIT_USAGE, message: err.message };
    if (err instanceof InputError) return { code: EXIT_FAILED, message: err.message };
    // stacks/config.ts's ConfigError (by name, so the validator does not load the config schema): its message lists
    // one problem per line, printed as is.
    if (err instanceof Error && err.name === "ConfigError") return { code: EXIT_FAILED, message: err.message };
    // Errors Pulumi raises for the user (pulumi.RunError, pulumi.ResourceError) carry no useful stack.
    // (Recognised by the SDK's own brand fields, so this file does not load the SDK.)
    const brand = err as { __pulumiRunError?: boolean; __pulumResourceError?: boolean } | undefined;
    if (err instanceof Error && (brand?.__pulumiRunError || brand?.__pulumResourceError)) return { code: EXIT_FAILED, message: err.message };
    // Anything else is a bug in inferstack: keep its stack trace for the report.
    if (err instanceof Error) return { code: EXIT_FAILED, message: `internal error: ${err.message}`, stack: err.stack };
    return { code: EXIT_FAILED, message: `internal error: ${String(err)}` };
}

/**
 * Runs a command: parses argv (printing --help or a usage error), calls `body` with the parsed arguments and exits
 * with the code it returns; a thrown error becomes one `error: <message>` line on stderr and its exit code (only an
 * unexpected error, i.e. a bug, adds its stack trace).
 */
export function runCommand<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, body: (args: Parsed<O>) => Promise<number>, argv = process.argv.slice(2)): void {
    const fail = (err: unknown) => {
        const { code, message, stack } = describeError(err);
        process.stderr.write(`error: ${usageMessage(spec, message, code)}\n`);
        if (stack) process.stderr.write(`${stack}\n`);
        exitAfterFlush(code);
    };
    let parsed: Parsed<O>;
    try {
        parsed = parseCommandLine(spec, argv);
    } catch (err) {
        fail(err);
        return;
    }
    if (parsed.help) {
        process.stdout.write(`${helpText(spec)}\n`);
        exitAfterFlush(EXIT_OK);
        return;
    }
    // Exit explicitly: the mocked Pulumi runtime may leave handles open after a render.
    body(parsed).then(exitAfterFlush, fail);
}

/**
 * Exits once everything written to stdout and stderr has been handed to the OS: on a pipe Node writes
 * asynchronously, and a bare process.exit cuts the output after the pipe's buffer (64 KiB on Linux).
 */
export function exitAfterFlush(code: number): void {
    process.exitCode = code;
    let pending = 2;
    const done = () => {
        if (--pending === 0) process.exit(code);
    };
    process.stdout.write("", done);
    process.stderr.write("", done);
}
