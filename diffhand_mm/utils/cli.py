"""One convention for every command-line tool of the project.

A user error (a missing or malformed file, a bad option, a config that does not fit, data that
fails validation) prints one line, ``<tool>: error: <what is wrong, naming the file>``, and
exits with status 2 (argparse's status for a bad command line). The traceback is printed only
with ``--debug`` or for an internal error (a bug: exit status 1). Usage::

    def parse_args(argv=None):
        parser = argparse.ArgumentParser(...)
        add_debug_argument(parser)
        ...

    if __name__ == '__main__':
        run_tool(main)

Library code signals a user error by raising :class:`InputError` (a ``ValueError``), or one of
the standard exceptions listed in :data:`USER_ERRORS`, with a message that names what is wrong.
"""
import argparse
import os.path as osp
import shlex
import sys
import traceback
from typing import Callable, List, Optional

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


class InputError(ValueError):
    """Bad input from the user (a file, an option, a config, a data set). The message names
    the file / sample / option and says what is wrong; tools print it without a traceback."""


#: Exceptions whose message is for the user: files that are missing or unreadable, values that
#: fail validation, unknown registry names, config syntax, optional packages not installed.
USER_ERRORS = (InputError, ValueError, KeyError, OSError, SyntaxError, ImportError)


def rerun_command(script: str, argv: Optional[List[str]] = None) -> str:
    """The shell command that reruns ``script`` (path from the repository root) with ``argv``
    (default: this process's arguments), for the reports the analysis tools write."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return f'python {script} ' + shlex.join(argv)


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug`` (print tracebacks for user errors too) to a tool's parser."""
    parser.add_argument('--debug', action='store_true',
                        help='print the full traceback of any error (user errors print one '
                        'line otherwise)')


def _one_line(error: BaseException) -> str:
    """The user-facing message of ``error`` on one line.

    A DataLoader worker re-raises its error with the worker's traceback inside the message;
    the last line of that is the original ``Type: message``.
    """
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    message = str(message).strip()
    if 'Original Traceback' in message:
        message = message.splitlines()[-1].strip()
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return ' '.join(lines) or type(error).__name__


def run_tool(main: Callable, argv: Optional[List[str]] = None, prog: Optional[str] = None):
    """Run a tool's ``main`` under the project's error convention; exits on error.

    Args:
        main: The tool's entry point; called as ``main()`` (it parses ``sys.argv``) when
            ``argv`` is None, else ``main(argv)``.
        argv: Arguments for ``main``, or None.
        prog: Name used in messages (default: the script's file name).

    Returns:
        Whatever ``main`` returns when it succeeds.
    """
    args = sys.argv[1:] if argv is None else argv
    debug = '--debug' in args
    prog = prog or osp.basename(sys.argv[0] or 'tool')
    try:
        return main() if argv is None else main(argv)
    except KeyboardInterrupt:
        print(f'{prog}: interrupted', file=sys.stderr)
        sys.exit(130)
    except SystemExit as stop:
        # `raise SystemExit('message')` is a user error in our tools (argparse exits with an int).
        if isinstance(stop.code, str):
            if debug:
                traceback.print_exc()
            print(f'{prog}: error: {stop.code}', file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)
        raise
    except USER_ERRORS as error:
        if debug:
            traceback.print_exc()
        print(f'{prog}: error: {_one_line(error)}' +
              ('' if debug else '  (--debug prints the traceback)'), file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except Exception:  # an internal error: the traceback is what a bug report needs
        traceback.print_exc()
        print(f'{prog}: internal error (a bug); please report it with the traceback above',
              file=sys.stderr)
        sys.exit(EXIT_INTERNAL_ERROR)
