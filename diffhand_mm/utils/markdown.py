"""Writing generated results into hand-written markdown documents."""
import os.path as osp
from typing import Sequence


def replace_markdown_section(path: str, title: str, body: str, begin_mark: str,
                             end_mark: str) -> None:
    """Put ``body`` under the ``## `` heading ``title`` of ``path``, other sections untouched.

    The section runs from its title to the next ``## `` title (or the end of the file). The
    body goes between ``begin_mark`` and ``end_mark``: when the section already has them only
    the text between them is replaced, so notes written around a generated table survive a
    rerun; otherwise the whole section is replaced, or appended when there is none (a missing
    file is created).

    Args:
        path: Markdown file.
        title: The section's heading line, e.g. ``'## Model inference'``.
        body: Generated markdown.
        begin_mark: Line that opens the generated part (an HTML comment).
        end_mark: Line that closes it.
    """
    text = open(path).read() if osp.isfile(path) else ''
    lines = text.splitlines()
    generated = [begin_mark, body.rstrip('\n'), end_mark]
    if title in lines:
        start = lines.index(title)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith('## ')),
                   len(lines))
        section = lines[start:end]
        if begin_mark in section and end_mark in section:
            first, last = section.index(begin_mark), section.index(end_mark)
            section = section[:first] + generated + section[last + 1:]
        else:
            section = [title, ''] + generated + ['']
        lines = lines[:start] + section + lines[end:]
    else:
        if lines and lines[-1].strip():
            lines.append('')
        lines += [title, ''] + generated
    with open(path, 'w') as f:
        f.write('\n'.join(lines).rstrip('\n') + '\n')


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table (no trailing newline); cells are formatted with ``str``."""
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return '\n'.join(lines)
