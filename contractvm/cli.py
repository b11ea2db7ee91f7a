"""The `contractvm` command line (docs/cli.md).

Exit codes: 0 success; 1 an error in what was asked (a missing or unreadable file, a contract that does not
compile, an artifact that is not valid), reported on stderr without a traceback; 2 bad usage (click).
A bug in contractvm itself also exits 1, with a message saying it is a bug to report.

Layout, so later commands slot in: each command is a click function decorated with `@guarded`, which turns
a `CliError` (a user mistake found by the CLI itself) or any `ContractVMError` into a message on stderr and
exit code 1. Loading helpers (`read_source`, `compile_path`, `load_artifact`, `load_contract`) raise
`CliError`/`ContractVMError` and are shared by every command that takes a contract or an artifact.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from contractvm import __version__, cli_format
from contractvm.codegen.artifact import Artifact
from contractvm.compiler import compile_source
from contractvm.errors import CompileError, CompileErrors, ContractVMError, InternalError
from contractvm.isa.opcodes import (
    IMM_CONST,
    IMM_EVENT,
    IMM_FUNC,
    IMM_IMPORT,
    IMM_INT,
    IMM_LOCAL,
    IMM_NONE,
    IMM_TYPE,
    OpSpec,
)
from contractvm.isa.program import Function, Program
from contractvm.isa.types import IntT
from contractvm.source import SourceFile, Span
from contractvm.vm.verify import decode_instructions

F = TypeVar("F", bound=Callable[..., Any])

# Set to 1 to let unexpected exceptions (bugs in contractvm) show their Python traceback.
DEBUG_ENV = "CONTRACTVM_DEBUG"


# Errors and the guard every command runs under


class CliError(Exception):
    """A user mistake the CLI itself detects (a missing file, an artifact that is not JSON...)."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


def error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def note(message: str) -> None:
    click.echo(f"note: {message}", err=True)


def internal_error_message(exc: BaseException, what: str = "internal compiler error") -> str:
    return (f"{what}: {exc}\n"
            "This is a bug in contractvm, not a mistake in your input; please report it (with the input).")


def report(exc: BaseException) -> None:
    """Print one error the way the CLI shows it to a user, on stderr."""
    if isinstance(exc, CliError):
        error(str(exc))
    elif isinstance(exc, InternalError):
        click.echo(internal_error_message(exc), err=True)
    elif isinstance(exc, CompileErrors | CompileError):
        click.echo(exc.render(), err=True)
    elif isinstance(exc, ContractVMError):
        error(f"{type(exc).__name__}: {exc}")
    else:
        click.echo(internal_error_message(exc if str(exc) else repr(exc), "internal error")
                   + f"\n(set {DEBUG_ENV}=1 to see the traceback)", err=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Run the body; a CliError or ContractVMError becomes a message on stderr and exit code 1."""
    try:
        yield
    except (CliError, ContractVMError) as exc:
        report(exc)
        raise click.exceptions.Exit(1) from None
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        report(exc)
        raise click.exceptions.Exit(1) from None


def guarded(fn: F) -> F:
    """Decorate a command: errors in what was asked go to stderr and exit 1, never as a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with user_errors():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# Loading contracts and artifacts


def read_source(path: Path) -> SourceFile:
    """The source file at `path`, named as the user wrote the path (so errors point at it)."""
    try:
        return SourceFile.read(path)
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a directory, not a contract source")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")


def compile_path(path: Path) -> tuple[SourceFile, Artifact]:
    source = read_source(path)
    return source, compile_source(source)


def load_artifact(path: Path) -> Artifact:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except IsADirectoryError:
        fail(f"{path}: is a directory, not an artifact")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    if not isinstance(data, dict):
        fail(f"{path}: not a contractvm artifact (expected a JSON object)")
    try:
        artifact = Artifact.from_dict(data)
        artifact.program  # noqa: B018 - decode now, so a bad bytecode is reported as a bad artifact
    except ContractVMError as exc:
        fail(f"{path}: not a valid contractvm artifact: {exc}")
    except KeyError as exc:
        fail(f"{path}: not a valid contractvm artifact: missing {exc}")
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        fail(f"{path}: not a valid contractvm artifact: {exc}")
    return artifact


def is_artifact_path(path: Path) -> bool:
    return path.suffix.lower() == ".json"


@dataclass(frozen=True)
class Loaded:
    """A contract to show: its artifact and, when available, the exact source it was compiled from."""

    artifact: Artifact
    source: SourceFile | None
    source_path: Path | None


def find_source(artifact: Artifact, artifact_path: Path, explicit: Path | None) -> tuple[SourceFile, Path] | None:
    """The artifact's source: `explicit`, else `source.name` next to the artifact, in the cwd, or in a
    `contracts/` folder (of the cwd, or beside the artifact's folder, as `contractvm init` lays them out).

    A file is used only when its SHA-256 matches the artifact's; a note on stderr says why none was used.
    """
    if explicit is not None:
        candidates = [explicit]
    else:
        name = Path(artifact.source_name).name
        candidates = []
        for candidate in (artifact_path.parent / name, Path(name), Path("contracts") / name,
                          artifact_path.parent.parent / "contracts" / name):
            if not any(_same_file(candidate, c) for c in candidates):
                candidates.append(candidate)
    mismatched = []
    for candidate in candidates:
        if explicit is None and not candidate.is_file():
            continue
        source = read_source(candidate)
        if hashlib.sha256(source.text.encode("utf-8")).hexdigest() == artifact.source_sha256:
            return source, candidate
        mismatched.append(str(candidate))
    if mismatched:
        note(f"{' and '.join(mismatched)} {'is' if len(mismatched) == 1 else 'are'} not the source this artifact "
             "was compiled from (SHA-256 differs); showing line numbers only")
    else:
        note(f"source {artifact.source_name} not found next to the artifact, in the current directory or in "
             "contracts/; "
             "showing line numbers only (use --source PATH)")
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def load_contract(path: Path, source_path: Path | None = None) -> Loaded:
    """A `.ctr` source (compiled now) or an artifact `.json` (its source found if possible)."""
    if is_artifact_path(path):
        artifact = load_artifact(path)
        found = find_source(artifact, path, source_path)
        return Loaded(artifact, *(found or (None, None)))
    if source_path is not None:
        raise click.UsageError("--source only applies when FILE is an artifact (.json)")
    source, artifact = compile_path(path)
    return Loaded(artifact, source, path)


# The command group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="contractvm")
def main() -> None:
    """contractvm: compile, inspect and run contracts for the contractvm VM.

    Exit codes: 0 success, 1 an error in what was asked (details on stderr), 2 bad usage.
    """


# compile


def function_rows(artifact: Artifact) -> list[tuple[str, str, str]]:
    """(signature, flags, gas bound) of the constructor (if any) and each public function."""
    rows = []
    ctor = artifact.abi.get("constructor")
    if ctor:
        rows.append((ctor["signature"], cli_format.flags(ctor, "constructor"),
                     cli_format.gas(ctor["gas_bound"], ctor["gas_bound_reason"])))
    for f in artifact.abi["functions"]:
        rows.append((f["signature"], cli_format.flags(f), cli_format.gas(f["gas_bound"], f["gas_bound_reason"])))
    return rows


def compile_summary(artifact: Artifact, file: Path, written: Path | None) -> str:
    head = f"{artifact.contract}  ({file}{f' -> {written}' if written else ''})"
    info = f"  {len(artifact.bytecode)} bytes, code hash {cli_format.short_hash(artifact.code_hash)}"
    return "\n".join([head, info, cli_format.table(("function", "flags", "gas bound"), function_rows(artifact),
                                                   indent=2)])


def error_json(exc: BaseException, file: Path) -> list[dict[str, Any]]:
    if isinstance(exc, CompileErrors):
        return [e for err in exc.errors for e in error_json(err, file)]
    if isinstance(exc, CompileError):
        return [{"kind": exc.kind, "message": exc.message, "file": exc.source.name if exc.source else str(file),
                 "line": exc.span.line, "col": exc.span.col, "end_line": exc.span.end_line,
                 "end_col": exc.span.end_col}]
    kind = "FileError" if isinstance(exc, CliError) else type(exc).__name__
    return [{"kind": kind, "message": str(exc), "file": str(file)}]


def write_artifact(out_dir: Path, artifact: Artifact) -> Path:
    """Write `out_dir/<Contract>.json` atomically (a reader never sees half a file)."""
    target = out_dir / f"{artifact.contract}.json"
    tmp = out_dir / f".{artifact.contract}.json.tmp"
    try:
        tmp.write_bytes(artifact.to_json().encode("utf-8"))
        os.replace(tmp, target)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    return target


@main.command("compile")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out-dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Write each artifact to DIR/<Contract>.json (DIR is created).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary (a JSON list) instead.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on stdout; errors and warnings still go to stderr.")
@guarded
def compile_cmd(files: tuple[Path, ...], out_dir: Path | None, as_json: bool, quiet: bool) -> None:
    """Compile contract sources (.ctr) and summarise each contract.

    Every file is compiled even when an earlier one fails; all errors are reported on stderr and the exit
    code is 1 if any file failed. Warnings go to stderr and do not change the exit code.
    """
    if as_json and quiet:
        raise click.UsageError("--json and --quiet cannot be used together")
    if out_dir is not None:
        if out_dir.exists() and not out_dir.is_dir():
            fail(f"cannot write artifacts to {out_dir}: it is a file, not a directory")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot create output directory {out_dir}: {exc.strerror or exc}")
    summaries: list[dict[str, Any]] = []
    texts: list[str] = []
    written: dict[str, tuple[Path, str]] = {}  # contract name -> (file, artifact JSON) written this run
    failed = 0
    for file in files:
        entry: dict[str, Any] = {"file": str(file), "ok": False, "contract": None, "artifact": None}
        summaries.append(entry)
        try:
            _, artifact = compile_path(file)
            entry.update(contract=artifact.contract, size=len(artifact.bytecode), code_hash=artifact.code_hash,
                         constructor=artifact.abi.get("constructor"), functions=artifact.abi["functions"],
                         warnings=list(artifact.warnings))
            for warning in artifact.warnings:
                click.echo(warning, err=True)
            target = None
            if out_dir is not None:
                previous = written.get(artifact.contract)
                text = artifact.to_json()
                if previous is not None and previous[1] != text:
                    fail(f"{file}: contract {artifact.contract} is also compiled from {previous[0]}; "
                         f"both would be written to {out_dir / (artifact.contract + '.json')}")
                target = write_artifact(out_dir, artifact)
                written[artifact.contract] = (file, text)
                entry["artifact"] = str(target)
            entry.update(ok=True, errors=[])
            texts.append(compile_summary(artifact, file, target))
        except (CliError, ContractVMError) as exc:
            failed += 1
            entry["errors"] = error_json(exc, file)
            report(exc)
    if as_json:
        click.echo(json.dumps(summaries, indent=1, ensure_ascii=False))
    elif not quiet and texts:
        click.echo("\n\n".join(texts))
    if failed:
        if len(files) > 1:
            error(f"{failed} of {len(files)} files failed to compile")
        raise click.exceptions.Exit(1)


# disasm


@dataclass(frozen=True)
class Operand:
    text: str  # the immediate as written in assembly: a number, or an integer type name
    note: str  # what it refers to, readably ("" when nothing more to say)


def operand(program: Program, spec: OpSpec, imm: int, param_names: list[str]) -> Operand:
    kind = spec.imm
    if kind == IMM_NONE:
        return Operand("", "")
    if kind == IMM_INT:
        try:
            return Operand(str(IntT.from_code(imm)), "")
        except ValueError:
            return Operand(str(imm), "bad integer type")
    note_text = ""
    try:
        if kind == IMM_CONST:
            note_text = cli_format.constant(program.constants[imm])
        elif kind == IMM_LOCAL:
            note_text = param_names[imm] if imm < len(param_names) else ""
        elif kind == IMM_TYPE:
            note_text = str(program.types[imm])
        elif kind == IMM_FUNC:
            note_text = program.functions[imm].name
        elif kind == IMM_EVENT:
            event = program.events[imm]
            note_text = f"{event.name}({', '.join(f'{n}: {t}' for n, t in event.fields)})"
        elif kind == IMM_IMPORT:
            imp = program.imports[imm]
            note_text = f"{imp.interface}.{imp.signature}"
    except IndexError:
        note_text = f"no such {kind}"
    return Operand(str(imm), note_text)


class SourceMap:
    """The span of each pc, from the artifact's sorted (start pc, span) entries."""

    def __init__(self, artifact: Artifact) -> None:
        entries = sorted(artifact.source_map, key=lambda e: e[0])
        self.starts = [pc for pc, _ in entries]
        self.spans = [span for _, span in entries]

    def at(self, pc: int) -> Span | None:
        i = bisect.bisect_right(self.starts, pc) - 1
        if i < 0:
            return None
        span = self.spans[i]
        return span if span.line > 0 else None


def function_abi(artifact: Artifact, f: Function) -> dict[str, Any]:
    """What the artifact's ABI says about a program function (internal ones have only a gas bound)."""
    if f.constructor and artifact.abi.get("constructor"):
        return artifact.abi["constructor"]
    for entry in artifact.abi.get("functions", []):
        if entry.get("name") == f.name:
            return entry
    for entry in artifact.abi.get("internal_functions", []):
        if entry.get("name") == f.name:
            return {"gas_bound": entry.get("gas_bound"), "gas_bound_reason": entry.get("gas_bound_reason")}
    return {}


def disasm_function(loaded: Loaded, f: Function) -> dict[str, Any]:
    """One function, as data: header fields and its instructions with operands and source lines."""
    artifact, source = loaded.artifact, loaded.source
    program = artifact.program
    abi = function_abi(artifact, f)
    names = [p["name"] for p in abi.get("inputs", [])]
    smap = SourceMap(artifact)
    instructions = []
    for pc, spec, imm in decode_instructions(program.code, f.entry, f.end):
        op = operand(program, spec, imm, names)
        span = smap.at(pc)
        instructions.append({
            "pc": pc, "op": spec.mnemonic, "imm": None if spec.imm == IMM_NONE else imm,
            "operand": op.text or None, "note": op.note or None,
            "line": span.line if span else None, "col": span.col if span else None,
            "source": source.line_text(span.line).strip() if source and span else None,
        })
    kind = "constructor" if f.constructor else "public" if f.public else "internal"
    return {
        "name": f.name, "signature": f.signature, "kind": kind, "view": f.view, "payable": f.payable,
        "reentrant": f.reentrant, "requires": f.role or None, "gas_bound": abi.get("gas_bound"),
        "gas_bound_reason": abi.get("gas_bound_reason"), "entry": f.entry, "end": f.end,
        "instructions": instructions,
    }


def render_function(fn: dict[str, Any], width: int) -> str:
    """The text form of `disasm_function`'s data; `width` is the pc column's width."""
    flags = cli_format.flags(fn, fn["kind"])
    gas = cli_format.gas(fn["gas_bound"], fn["gas_bound_reason"])
    lines = [f"{fn['signature']}  [{flags}]", f"  code: pc {fn['entry']}..{fn['end']}   gas bound: {gas}"]
    last_line = None
    for ins in fn["instructions"]:
        if ins["line"] is not None and ins["line"] != last_line:
            last_line = ins["line"]
            text = f" | {ins['source']}" if ins["source"] is not None else ""
            lines.append(f"  {'':>{width}}  ; {ins['line']}{text}".rstrip())
        body = f"{ins['op']:<9} {ins['operand'] or ''}".rstrip()
        if ins["note"]:
            body = f"{body:<16} ; {ins['note']}"
        lines.append(f"  {ins['pc']:>{width}}  {body}")
    return "\n".join(lines)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-f", "--function", "only", multiple=True, metavar="NAME",
              help="Show only this function (repeat for several; `constructor` for the constructor).")
@click.option("--source", "source_path", type=click.Path(path_type=Path),
              help="The contract source of an artifact, when it is not next to it or in the current directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the disassembly as JSON.")
@guarded
def disasm(file: Path, only: tuple[str, ...], source_path: Path | None, as_json: bool) -> None:
    """Disassemble a .ctr source or .json artifact.

    Shows each function (signature, flags, gas bound) and its instructions: pc, mnemonic and immediate,
    with what the immediate refers to (the constant, type, function, event or import), and the source
    line whenever it changes.
    """
    loaded = load_contract(file, source_path)
    artifact = loaded.artifact
    program = artifact.program
    functions = list(program.functions)
    if only:
        known = {f.name for f in functions}
        unknown = [n for n in only if n not in known]
        if unknown:
            fail(f"{artifact.contract} has no function {', '.join(repr(n) for n in unknown)} "
                 f"(it has: {', '.join(sorted(known))})")
        functions = [f for f in functions if f.name in only]
    functions.sort(key=lambda f: f.entry)
    shown = [disasm_function(loaded, f) for f in functions]
    if as_json:
        click.echo(json.dumps({
            "contract": artifact.contract,
            "source": {"name": artifact.source_name, "sha256": artifact.source_sha256,
                       "path": str(loaded.source_path) if loaded.source_path else None},
            "code_hash": artifact.code_hash, "size": len(artifact.bytecode), "functions": shown,
        }, indent=1, ensure_ascii=False))
        return
    where = f"{loaded.source_path}" if loaded.source_path else f"{artifact.source_name}, source not loaded"
    head = (f"contract {artifact.contract}  ({where})\n"
            f"{len(artifact.bytecode)} bytes, code hash {artifact.code_hash}")
    width = len(str(len(program.code)))
    click.echo("\n\n".join([head, *(render_function(fn, width) for fn in shown)]))



# The chain commands (verify, audit, inspect) and the key commands live in their own modules and register on
# `main` when imported; importing them here, at the end, makes `contractvm --help` list them.
from contractvm import cli_chain, cli_data, cli_keys  # noqa: E402, F401
from contractvm import cli_node as _cli_node  # noqa: E402, F401
from contractvm import cli_project as _cli_project  # noqa: E402, F401 - init, test
