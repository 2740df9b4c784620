"""The ``imuforge`` command: parse arguments, call the library, print.

Subcommands live in :mod:`imuforge.commands`, one module per area; each module defines
``register(subparsers)`` which adds its parsers and sets ``func`` (called with the parsed
arguments, returning an exit code). They are discovered here, so adding a command is adding a
module. A command with actions (``dataset info|select``) keeps the action in ``<command>_command``, so
its messages name both (:func:`_ran`).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
import warnings

from imuforge import __version__
from imuforge.errors import ImuforgeError, Terminated, check_seed


class _Parser(argparse.ArgumentParser):
    """argparse with the house rule for bad input: one line naming what is wrong, exit 2 (no usage block;
    ``--help`` has it). Sub-command parsers are of this class too (argparse makes them ``type(parent)``)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an option no parser knows is named by the command it was given to
        (``imuforge calibrate: error: unrecognized arguments: --bogus``), not by ``imuforge``: argparse leaves
        such leftovers to the top parser, which no longer knows which command took them."""
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            self._innermost(ns).error(f"unrecognized arguments: {' '.join(extras)}")
        inner = self._innermost(ns)

        def takes_value(option: str) -> bool:
            action = inner._option_string_actions.get(option) or self._option_string_actions.get(option)
            return action is None or action.nargs != 0

        empty = _empty_value(list(sys.argv[1:] if args is None else args), takes_value)
        if empty:
            option = inner._option_string_actions.get(empty) or self._option_string_actions.get(empty)
            tip = ("a path or a name" if not empty.startswith("-")
                   else "it has no default: give one" if option is not None and option.required
                   else "leave the option out for its default")
            inner.error(f"{empty} is empty (allowed: a value; {tip})")
        return ns

    def parse_known_args(self, args=None, namespace=None):
        return super().parse_known_args(self._glue_dash_values(args), namespace)

    def _glue_dash_values(self, args):
        """``--csv-acc-unit -g`` read as ``--csv-acc-unit=-g``: an option marked ``dash_value`` (a unit may
        start with '-', minus the quantity) takes the next word even when it starts with '-', unless that
        word is one of the command's options. argparse alone would say "expected one argument"."""
        args = list(sys.argv[1:] if args is None else args)
        out: list[str] = []
        for word in args:
            prev = self._dash_action(out[-1]) if out else None
            # a value such as -g: one dash, then not a dash nor a digit (argparse reads -1.5 as a value itself)
            if prev is not None and re.match(r"-[^-\d]", word) and word not in self._option_string_actions:
                out[-1] = f"{out[-1]}={word}"
            else:
                out.append(word)
        return out

    def _dash_action(self, word: str):
        """The ``dash_value`` action ``word`` names — in full, or by an unambiguous prefix as argparse allows
        (``--csv-acc``) — else None."""
        if not isinstance(word, str) or not word.startswith("--") or "=" in word:
            return None
        names = [s for s in self._option_string_actions if s.startswith(word)]
        actions = {id(self._option_string_actions[s]): self._option_string_actions[s] for s in names}
        action = next(iter(actions.values())) if len(actions) == 1 else None
        return action if getattr(action, "dash_value", False) else None

    def _innermost(self, ns: argparse.Namespace) -> argparse.ArgumentParser:
        """The (sub-)command parser that ``ns`` was parsed by: down the chosen sub-parsers."""
        parser = self
        while True:
            subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            chosen = getattr(ns, subs[0].dest, None) if subs else None
            if chosen not in (subs[0].choices if subs else {}):
                return parser
            parser = subs[0].choices[chosen]


#: options whose empty value means something (``--augment ""``: no augmentation, ``--val ""``: no validation
#: data, as ``none``)
EMPTY_ALLOWED = frozenset({"--augment", "--val"})


def _empty_value(words: list[str], takes_value=lambda option: True) -> str | None:
    """The option (or "an argument") given an empty or blank value in ``words``, else None: a path or a port
    left empty by an unset shell variable (``--port "$PORT"``) must not mean the current folder or "not
    given". ``takes_value(option)``: whether the option reads the word after it (a flag does not: the empty
    word after ``--json`` is an argument of its own)."""
    for i, word in enumerate(words):
        if not isinstance(word, str):
            continue
        if word.startswith("--") and "=" in word:
            opt, value = word.split("=", 1)
            if not value.strip() and opt not in EMPTY_ALLOWED:
                return opt
        elif not word.strip():
            prev = words[i - 1] if i else ""
            if isinstance(prev, str) and prev.startswith("-") and "=" not in prev and takes_value(prev):
                if prev not in EMPTY_ALLOWED:
                    return prev
            else:
                return f"an argument ({word!r})"
    return None


def build_parser() -> argparse.ArgumentParser:
    from imuforge._shipped import as_typed, firmware_sources, shipped

    parser = _Parser(
        prog="imuforge",
        description="Synthetic IMU data for your wearable, calibrated on real captures, "
        "trained into int8 HAR models and tested on the device.",
        # the docs/ and examples/ that messages name ship with the package (a wheel has no checkout)
        epilog=f"Documentation: {shipped('docs')}; examples (corpus specs, key-framed activities): "
               f"{shipped('examples')}; firmware sources: {as_typed(firmware_sources())}",
    )
    parser.add_argument("--version", action="version", version=f"imuforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import imuforge.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        importlib.import_module(f"imuforge.commands.{info.name}").register(sub)
    return parser


def _ran(args) -> str:
    """What the user ran, as its messages name it (and argparse's own errors, ``prog``): ``imuforge train``,
    or with the action of a command that has actions, ``imuforge dataset select``."""
    action = getattr(args, f"{args.command}_command", None)
    return f"imuforge {args.command}" + (f" {action}" if action else "")


def _one_line_warning(args):
    """How a warning raised while a command runs is shown: imuforge's own as one line naming the command, not
    Python's file, line number and source line; the ML stack's (TensorFlow's converter, Keras) are its
    noise, kept out like its log lines unless ``IMUFORGE_TF_LOGS=1``. Each message once per command."""
    import os

    own = os.path.dirname(os.path.abspath(__file__))
    original = warnings.showwarning
    shown = set()  # a file read twice (a scan, then the load) warns once

    def show(message, category, filename, lineno, file=None, line=None):
        if os.path.abspath(str(filename)).startswith(own + os.sep):
            if str(message) not in shown:
                shown.add(str(message))
                args.warned.append(str(message))  # for a command's --json (its "warnings")
                print(f"{_ran(args)}: warning: {message}", file=sys.stderr if file is None else file)
        elif os.environ.get("IMUFORGE_TF_LOGS") == "1":
            original(message, category, filename, lineno, file, line)
    return show


def _on_sigterm(signum, frame) -> None:
    Terminated.received = True
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:  # Ctrl-C while the commands load
        print("imuforge: interrupted", file=sys.stderr)
        return 130
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    import signal
    import threading

    # a handler only in the main thread, and not over a SIGTERM the caller told this process to ignore
    own = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, None)
    if own:
        Terminated.received = False
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if own else None
    try:
        if getattr(args, "seed", None) is not None:  # every command's --seed: one range, before any work
            check_seed(args.seed)
        args.warned = []
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(args)
            return int(args.func(args) or 0)
    except ImuforgeError as exc:
        print(f"{_ran(args)}: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, FileExistsError) as exc:
        print(f"{_ran(args)}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        said = f": {exc.args[0]}" if exc.args and isinstance(exc.args[0], str) else ""  # a command's own word
        if Terminated.received:
            print(f"{_ran(args)}: terminated (SIGTERM){said}", file=sys.stderr)
            return 143
        print(f"{_ran(args)}: interrupted{said}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`imuforge dataset info … | head`): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at interpreter exit
        return 141
    except OSError as exc:  # what the system refused (a full disk, a folder not writable): one line
        print(f"{_ran(args)}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if own:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
