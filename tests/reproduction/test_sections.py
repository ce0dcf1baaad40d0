"""Numbers are found in the section that prints them, numbered as LaTeX numbers it."""
from mobileopt.reproduction.sections import thesis_sections


def test_sections_follow_inputs_and_number_like_latex(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "main.tex").write_text(
        "\\begin{abstract}\\Headline\\end{abstract}\n"
        "\\input{chapters/one}\n\\input{chapters/two.tex}\n\\appendix\n\\chapter{Provenance}\n\\Appendixed\n")
    (tmp_path / "chapters" / "one.tex").write_text(
        "\\chapter{Introduction}\n\\section{Background}\n\\Accuracy\\ % \\Commented\n"
        "\\begin{figure}\\includegraphics[width=\\linewidth]{zoo_roofline.pdf}\\end{figure}\n")
    (tmp_path / "chapters" / "two.tex").write_text(
        "\\chapter{Results}\n\\section*{Unnumbered}\n\\section{Pruning}\n\\Accuracy{} and \\Speedup\n"
        "\\input{generated/tables/compression_pruning.tex}\n")
    uses = thesis_sections(tmp_path / "main.tex")
    assert uses["Headline"] == ["Front matter"]
    assert uses["Accuracy"] == ["1.1 Background", "2.1 Pruning"]
    assert uses["Speedup"] == ["2.1 Pruning"]
    assert uses["table:compression_pruning"] == ["2.1 Pruning"]
    assert uses["figure:zoo_roofline"] == ["1.1 Background"]
    assert uses["Appendixed"] == ["A Provenance"]
    assert "Commented" not in uses
