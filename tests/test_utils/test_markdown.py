"""replace_markdown_section: generated parts replaced, hand-written text kept."""
from diffhand_mm.utils.markdown import replace_markdown_section

BEGIN, END = '<!-- gen: begin -->', '<!-- gen: end -->'


def test_appends_then_replaces_only_the_generated_part(tmp_path):
    path = tmp_path / 'doc.md'
    path.write_text('# Doc\n\n## Other\n\nkeep me\n')
    replace_markdown_section(str(path), '## Speed', 'table v1', BEGIN, END)
    text = path.read_text()
    assert text == f'# Doc\n\n## Other\n\nkeep me\n\n## Speed\n\n{BEGIN}\ntable v1\n{END}\n'

    path.write_text(text.replace(BEGIN, 'notes above\n' + BEGIN) + '\n## Later\n\nalso kept\n')
    replace_markdown_section(str(path), '## Speed', 'table v2', BEGIN, END)
    text = path.read_text()
    assert f'notes above\n{BEGIN}\ntable v2\n{END}' in text
    assert 'table v1' not in text
    assert 'keep me' in text and 'also kept' in text


def test_creates_a_missing_file(tmp_path):
    path = tmp_path / 'new.md'
    replace_markdown_section(str(path), '## Speed', 'body', BEGIN, END)
    assert path.read_text() == f'## Speed\n\n{BEGIN}\nbody\n{END}\n'


def test_markdown_table():
    from diffhand_mm.utils.markdown import markdown_table
    assert markdown_table(['a', 'b'], [[1, 'x'], [2.5, 'y']]) == (
        '| a | b |\n|---|---|\n| 1 | x |\n| 2.5 | y |')
