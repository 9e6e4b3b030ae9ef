"""Render a report's facts as HTML or Markdown (Jinja2 templates) or JSON (the facts themselves).

Templates are looked up first in the folder given (a workspace's audit_reports/), then in the
templates govern ships, so a workspace may override one template and keep the rest. The hash of
the templates used is recorded with every rendered report.

Workspace templates are anybody's edit, and the auditor who renders them holds a signing key, so
they run in Jinja2's immutable sandbox: no attribute starting with `_` (no `__globals__`, no
`__class__.__mro__`), no method that changes the facts, no import, no file but another `*.j2`
template inside the template folders (a symlink pointing out of them is refused). A template
that reaches for more fails to render (BadInput) and nothing is written or ledgered.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from govern.canonical import hash_value
from govern.errors import BadInput
from govern.reports._base import FORMATS

TEMPLATE_SUFFIX = ".j2"


def shipped_templates() -> Path:
    """The report templates that ship with govern."""
    from govern.resources import shipped_dir

    return shipped_dir("audit_reports")


def _folders(templates_dir: Path | None) -> list[Path]:
    folders = [Path(templates_dir)] if templates_dir is not None else []
    shipped = shipped_templates()
    if not folders or folders[0].resolve() != shipped.resolve():
        folders.append(shipped)
    return [f for f in folders if f.is_dir()]


def _md(value: Any) -> str:
    """Text safe inside a Markdown table cell or line: no pipes, HTML or line breaks leak through."""
    text = "" if value is None else str(value)
    for old, new in (
        ("\\", "\\\\"),
        ("|", "\\|"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("`", "\\`"),
        ("*", "\\*"),
        ("_", "\\_"),
    ):
        text = text.replace(old, new)
    return " ".join(text.split())


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}" if math.isfinite(value) else str(value)
    return str(value)


def _short(value: Any, length: int = 12) -> str:
    return "" if value is None else str(value)[:length]


def _compact(value: Any) -> str:
    """Evidence values as short text: scalars as is, lists joined, mappings as key=value."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_compact(v)}" for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return ", ".join(_compact(v) for v in value) if value else "none"
    return _num(value)


def _breakable(value: Any) -> Markup:
    """A dotted or snake_case name that may wrap after its dots and underscores, never mid-word."""
    text = str(escape("" if value is None else str(value)))
    return Markup(text.replace(".", ".<wbr>").replace("_", "_<wbr>"))


def _person(people: Any, key_id: Any) -> dict[str, Any] | None:
    found = people.get(key_id) if isinstance(people, dict) and key_id else None
    return found if isinstance(found, dict) else None


def _who(people: Any, key_id: Any) -> Markup:
    """A person as name (role), the key id in the title; an unregistered key as its id."""
    person = _person(people, key_id)
    if person is not None:
        return Markup(
            '<span class="who" title="key {key}">{name} <span class="muted">({role})</span></span>'
        ).format(key=key_id, name=person.get("name"), role=person.get("role"))
    if key_id:
        return Markup('<code title="no identity registered for this key">{key}</code>').format(
            key=key_id
        )
    return Markup('<span class="muted">none</span>')


def _named(value: Any, people: Any) -> Any:
    """Evidence with every registered key id replaced by "name (role)" (lists and mappings too)."""
    if isinstance(value, str):
        person = _person(people, value)
        return f"{person.get('name')} ({person.get('role')})" if person is not None else value
    if isinstance(value, (list, tuple)):
        return [_named(v, people) for v in value]
    if isinstance(value, dict):
        return {k: _named(v, people) for k, v in value.items()}
    return value


def _who_md(people: Any, key_id: Any) -> str:
    """A person as name (role, key id prefix) for Markdown."""
    person = _person(people, key_id)
    if person is not None:
        return f"{_md(person.get('name'))} ({_md(person.get('role'))}, key `{str(key_id)[:12]}`)"
    return f"`{key_id}` (unregistered key)" if key_id else "none"


def _confined_loader(folder: Path) -> Any:
    """A loader for `*.j2` files that lie inside `folder` once symlinks are resolved."""
    import jinja2

    root = folder.resolve()

    class ConfinedLoader(jinja2.FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> Any:
            source, filename, uptodate = super().get_source(environment, template)
            resolved = Path(filename).resolve()
            if (
                not template.endswith(TEMPLATE_SUFFIX)
                or not resolved.is_relative_to(root)
                or not resolved.is_file()
            ):
                raise jinja2.TemplateNotFound(template)
            return source, filename, uptodate

    return ConfinedLoader(str(folder))


def environment(templates_dir: Path | None = None) -> Any:
    """The sandboxed Jinja2 environment for reports (autoescaped HTML, strict undefined, report filters)."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from govern.reports import charts

    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader([_confined_loader(f) for f in _folders(templates_dir)]),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=_md, num=_num, short=_short, compact=_compact, breakable=_breakable, named=_named
    )
    env.globals.update(
        metric_chart=charts.metric_chart,
        findings_chart=charts.findings_chart,
        interval_chart=charts.interval_chart,
        lineage_svg=charts.lineage_svg,
        lineage_tree=charts.lineage_tree,
        who=_who,
        who_md=_who_md,
    )
    return env


def template_name(kind: str, fmt: str) -> str:
    return f"{kind}.{fmt}{TEMPLATE_SUFFIX}"


def templates_hash(templates_dir: Path | None = None) -> str:
    """The hash of every template a render could use (name -> content, the first folder winning)."""
    seen: dict[str, str] = {}
    for folder in _folders(templates_dir):
        for path in sorted(folder.glob(f"*{TEMPLATE_SUFFIX}")):
            seen.setdefault(path.name, path.read_text(encoding="utf-8"))
    return hash_value(seen)


def render(facts: dict[str, Any], fmt: str, templates_dir: Path | None = None) -> str:
    """A report's text in `fmt` (html, md or json) from its facts."""
    import jinja2
    from jinja2.exceptions import SecurityError

    if fmt not in FORMATS:
        raise BadInput(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return (
            json.dumps(facts, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
        )
    name = template_name(facts["kind"], fmt)
    env = environment(templates_dir)
    try:
        template = env.get_template(name)
        return str(template.render(r=facts))
    except jinja2.TemplateNotFound as error:
        if error.name == name:
            raise BadInput(
                f"no report template {name} in {', '.join(str(f) for f in _folders(templates_dir))}"
            ) from None
        raise _template_error(
            error, name, f"it includes {error.name!r}, which is no template in the template folders"
        ) from None
    except jinja2.TemplateSyntaxError as error:
        raise BadInput(
            f"{error.filename or name}, line {error.lineno}: template syntax error: {error.message}"
        ) from None
    except jinja2.UndefinedError as error:
        raise _template_error(
            error, name, f"{error.message}; the template names a fact this report lacks"
        ) from None
    except SecurityError as error:
        raise _template_error(
            error,
            name,
            f"it reached for something report templates may not use ({error}); "
            "templates see only the facts in `r` and the report filters",
        ) from None
    except (
        jinja2.TemplateError,
        ArithmeticError,
        LookupError,
        TypeError,
        ValueError,
        AttributeError,
        RecursionError,
    ) as error:
        # The template's own expressions failed (it is user code): say where, not a traceback.
        raise _template_error(error, name, f"{type(error).__name__}: {error}") from None


def _template_error(error: BaseException, name: str, reason: str) -> BadInput:
    """A BadInput naming the template file and line where rendering failed."""
    where = name
    trace = error.__traceback__
    while trace is not None:  # Jinja2 maps each template frame to its file and line
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(TEMPLATE_SUFFIX):
            where = f"{filename}, line {trace.tb_lineno}"
        trace = trace.tb_next
    return BadInput(f"report template {where}: {reason}; nothing was written")
