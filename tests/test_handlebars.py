"""The Handlebars subset (mailtrap_cli.handlebars) that the built-in server and
`templates render` share: each construct, escaping, missing names, errors."""

from __future__ import annotations

import pytest

from mailtrap_cli.handlebars import TemplateError, render, render_text, variables_used


def test_variables_paths_and_missing_names():
    result = render("Hi {{ user.name }} #{{items.1}} {{nope}} {{user.nope}}",
                    {"user": {"name": "Ann"}, "items": ["a", "b"]})
    assert result.text == "Hi Ann #b  "
    assert result.missing == ["nope", "user.nope"]


def test_a_flat_dotted_key_wins_over_nested_objects():
    assert render_text("{{user.name}}", {"user.name": "flat", "user": {"name": "x"}}) == "flat"


def test_values_are_formatted_like_javascript():
    assert render_text("{{a}} {{b}} {{c}} {{d}} {{e}}",
                       {"a": True, "b": 2.0, "c": 2.5, "d": None, "e": 0}) == "true 2 2.5  0"


def test_html_escaping_double_versus_triple_braces():
    data = {"v": "<a href=\"x\">Tom & 'Jerry'</a>`="}
    assert render_text("{{v}}", data, escape=True) == (
        "&lt;a href&#x3D;&quot;x&quot;&gt;Tom &amp; &#x27;Jerry&#x27;&lt;/a&gt;&#x60;&#x3D;")
    assert render_text("{{{v}}}", data, escape=True) == data["v"]
    assert render_text("{{& v}}", data, escape=True) == data["v"]
    assert render_text("{{v}}", data, escape=False) == data["v"]


@pytest.mark.parametrize(("value", "shown"), [
    (True, "yes"), ("x", "yes"), ([1], "yes"), ({}, "yes"), (1, "yes"),
    (False, "no"), ("", "no"), ([], "no"), (0, "no"), (None, "no")])
def test_if_else_follows_handlebars_truthiness(value, shown):
    assert render_text("{{#if v}}yes{{else}}no{{/if}}", {"v": value}) == shown
    assert render_text("{{#unless v}}no{{else}}yes{{/unless}}", {"v": value}) == shown


def test_if_of_an_absent_name_is_false_and_reported():
    result = render("{{#if vip}}VIP{{/if}}", {})
    assert result.text == "" and result.missing == ["vip"]


def test_each_over_a_list_with_this_index_first_last_and_parent():
    source = "{{#each items}}{{@index}}:{{this.name}}{{#if @first}}!{{/if}}" \
             "{{#if @last}}.{{/if}}@{{../shop}} {{/each}}"
    data = {"items": [{"name": "a"}, {"name": "b"}], "shop": "S"}
    assert render_text(source, data) == "0:a!@S 1:b.@S "
    assert render_text("{{#each xs}}[{{this}}]{{/each}}", {"xs": [1, "<b>"]},
                       escape=True) == "[1][&lt;b&gt;]"


def test_each_over_an_object_and_the_empty_else():
    assert render_text("{{#each o}}{{@key}}={{this}};{{/each}}", {"o": {"a": 1, "b": 2}}) \
        == "a=1;b=2;"
    assert render_text("{{#each xs}}x{{else}}empty{{/each}}", {"xs": []}) == "empty"
    assert render_text("{{#each xs}}x{{else}}empty{{/each}}", {}) == "empty"


def test_with_changes_the_context():
    assert render_text("{{#with user}}{{name}} of {{../org}}{{/with}}",
                       {"user": {"name": "Ann"}, "org": "Acme"}) == "Ann of Acme"


def test_block_tags_alone_on_a_line_take_the_line_with_them():
    source = "Items:\n{{#each items}}\n  - {{this}}\n{{/each}}\nend\n"
    assert render_text(source, {"items": ["a", "b"]}) == "Items:\n  - a\n  - b\nend\n"


def test_comments_literal_braces_and_whitespace_control():
    assert render_text("a{{! note }}b{{!-- has }} inside --}}c", {}) == "abc"
    assert render_text("\\{{name}} {{name}}", {"name": "x"}) == "{{name}} x"
    assert render_text("a  {{~ name ~}}  b", {"name": "x"}) == "axb"


@pytest.mark.parametrize(("source", "message"), [
    ("{{#if a}}open", "line 1: '{{#if a}}' is never closed"),
    ("x\n{{/if}}", "line 2: '{{/if}}' closes nothing"),
    ("{{#if a}}\n{{/each}}", "line 2: '{{/each}}' closes '{{#if}}' of line 1"),
    ("{{#loop a}}{{/loop}}", "unsupported block '#loop'"),
    ("{{{a}}", "unbalanced triple braces"),
    ("{{else}}", "outside a block"),
    ("{{format date}}", "helpers are not supported"),
])
def test_a_template_that_does_not_parse_says_where(source, message):
    with pytest.raises(TemplateError, match=message.replace("{", "\\{").replace("}", "\\}")
                       .replace("(", "\\(")):
        render(source, {})


def test_variables_used_lists_top_level_names():
    source = "{{a}} {{#each items}}{{name}}{{/each}} {{#if b.c}}{{d}}{{/if}} {{{e}}}"
    assert variables_used(source) == ["a", "items", "b.c", "d", "e"]


@pytest.mark.parametrize(("data", "shown"), [
    ({"a": True}, "A"), ({"b": True}, "B"), ({"c": True}, "not C"), ({}, "none")])
def test_else_if_chains(data, shown):
    source = ("{{#if a}}A{{else if b}}B{{else unless c}}none{{else}}not C{{/if}}")
    assert render_text(source, data) == shown


def test_an_else_if_chain_still_needs_its_close_tag():
    with pytest.raises(TemplateError, match="'{{#if a}}' is never closed"):
        render("{{#if a}}A{{else if b}}B", {})
