#!/usr/bin/env python3
"""Report public Swift declarations that have no doc comment.

Usage:
    python3 scripts/check-docs.py [FOLDER ...]
    python3 scripts/check-docs.py --self-test

With no folders, every `Sources/Dataflow*` folder of the package that holds this script is checked.
Folders may also be single `.swift` files.

A declaration is checked when its effective access is `public` or `open`:

* it is written `public`/`open`, or it has no access modifier and sits in a public protocol, in a
  `public extension`, or (for `case`) in a public enum;
* and every type that encloses it is public too (`public` members of an internal type are internal).
  For an extension the extended type is looked up among the scanned files; a type that is not found
  there (e.g. a standard-library type) counts as public.

Checked declarations: struct, class, enum, actor, protocol, func, init, subscript, var, let,
typealias, associatedtype, macro, and enum cases. Extensions themselves need no doc comment (their
members do). `package`, `internal`, `fileprivate` and `private` are not public.

A declaration is documented when a non-empty `///` comment or `/** ... */` block ends on the line
directly above it. Attributes (`@discardableResult`, `@inlinable`, `@available(...)`, ...) may stand
between the comment and the declaration; blank lines and ordinary `//` comments may not.

Members whose meaning is fixed by a well-known protocol are skipped (see `FIXED_MEANING`).

Enum cases written on the same line as their enum (`public enum K { case a, b }`) share the enum's
doc comment, since no comment can stand between them without reformatting code.

The scanner is a tokenizer, not a Swift parser: it understands comments (nested too), plain, raw and
multi-line strings with interpolation, attributes, `#if` lines and bracket nesting, and skips function,
accessor and closure bodies. It does not understand bare regex literals (`/.../`) or declarations
produced by macros.

Output: one `path:line: name` line per undocumented declaration, then a count per module. The exit
status is 1 when anything is undocumented, 2 on a usage error, 0 otherwise.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field

# Protocol requirements whose meaning is fixed by the protocol (CustomStringConvertible, Codable,
# Hashable, Equatable, LocalizedError, Sequence, IteratorProtocol): no doc comment needed.
FIXED_MEANING = {
    "description",          # CustomStringConvertible
    "debugDescription",     # CustomDebugStringConvertible
    "errorDescription",     # LocalizedError
    "init(from:)",          # Decodable
    "encode(to:)",          # Encodable
    "hash(into:)",          # Hashable
    "==",                   # Equatable (any argument labels)
    "makeIterator()",       # Sequence
    "next()",               # IteratorProtocol / AsyncIteratorProtocol
}

ACCESS = {"public", "open", "package", "internal", "fileprivate", "private"}
PUBLIC_ACCESS = {"public", "open"}
MODIFIERS = {
    "static", "class", "final", "override", "mutating", "nonmutating", "convenience", "required",
    "lazy", "weak", "unowned", "dynamic", "optional", "indirect", "prefix", "postfix", "infix",
    "nonisolated", "distributed", "consuming", "borrowing", "__consuming", "isolated",
}
TYPE_KEYWORDS = {"struct", "class", "enum", "actor", "protocol"}
MEMBER_KEYWORDS = {"func", "init", "subscript", "var", "let", "typealias", "associatedtype", "macro"}
OTHER_KEYWORDS = {"extension", "case", "deinit", "import", "operator", "precedencegroup"}
DECL_KEYWORDS = TYPE_KEYWORDS | MEMBER_KEYWORDS | OTHER_KEYWORDS
DIRECTIVES = {"#if", "#elseif", "#else", "#endif", "#warning", "#error", "#sourceLocation"}
OPERATOR_CHARS = set("/=-+!*%<>&|^~?")
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {")", "]", "}"}


# --------------------------------------------------------------------------------------------------
# Lexer: tokens without comments and string contents, plus which lines hold doc comments.


@dataclass
class Token:
    text: str
    line: int
    spaced: bool  # whitespace, a comment or a line break comes right before it


@dataclass
class Lexed:
    tokens: list[Token]
    code_lines: set[int] = field(default_factory=set)      # lines with code (incl. string text)
    # Line -> text of the doc comment on that line, for doc comments that start a line (no code before
    # them on their line); a `/** */` block gives its whole text to each of its lines.
    doc_lines: dict[int, str] = field(default_factory=dict)


class Lexer:
    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.line = 1
        self.out = Lexed(tokens=[])
        self.spaced = True

    def error(self, message: str) -> ValueError:
        return ValueError(f"line {self.line}: {message}")

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i < len(self.s):
                if self.s[self.i] == "\n":
                    self.line += 1
                self.i += 1

    def emit(self, text: str, line: int) -> None:
        self.out.tokens.append(Token(text, line, self.spaced))
        self.out.code_lines.add(line)
        self.spaced = False

    def run(self) -> Lexed:
        self.lex_code(stop_at_paren=False)
        return self.out

    def lex_code(self, stop_at_paren: bool) -> None:
        """Lexes code; with `stop_at_paren`, returns after the `)` closing a string interpolation."""
        depth = 0
        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c == "\n" or c in " \t\r\f":
                self.spaced = True
                self.advance()
            elif s.startswith("//", self.i):
                self.line_comment()
            elif s.startswith("/*", self.i):
                self.block_comment()
            elif c == '"' or (c == "#" and self.raw_string_ahead()):
                line = self.line
                self.string()
                self.emit('""', line)
            elif c.isalpha() or c == "_" or c == "$":
                j = self.i
                while j < len(s) and (s[j].isalnum() or s[j] in "_$"):
                    j += 1
                self.emit(s[self.i:j], self.line)
                self.i = j
            elif c == "`":
                j = s.find("`", self.i + 1)
                if j < 0 or "\n" in s[self.i:j]:
                    raise self.error("unterminated backtick identifier")
                self.emit(s[self.i + 1:j], self.line)
                self.i = j + 1
            elif c.isdigit():
                j = self.i
                while j < len(s) and (s[j].isalnum() or s[j] == "_"):
                    j += 1
                self.emit(s[self.i:j], self.line)
                self.i = j
            elif c == "#" or c == "@":
                j = self.i + 1
                while j < len(s) and (s[j].isalnum() or s[j] == "_"):
                    j += 1
                self.emit(s[self.i:j], self.line)
                self.i = j
            elif c in OPERATOR_CHARS or (c == "." and self.peek(1) == "."):
                j = self.i
                allowed = OPERATOR_CHARS | ({"."} if c == "." else set())
                while j < len(s) and s[j] in allowed and not s.startswith(("//", "/*"), j):
                    j += 1
                if j == self.i:  # a lone '/' right before a comment cannot happen; be safe
                    j += 1
                self.emit(s[self.i:j], self.line)
                self.i = j
            else:
                if stop_at_paren:
                    if c == "(":
                        depth += 1
                    elif c == ")":
                        if depth == 0:
                            self.advance()
                            return
                        depth -= 1
                self.emit(c, self.line)
                self.advance()
        if stop_at_paren:
            raise self.error("unterminated string interpolation")

    def starts_line(self) -> bool:
        """Whether no token precedes the current position on its line."""
        tokens = self.out.tokens
        return not tokens or tokens[-1].line != self.line

    def line_comment(self) -> None:
        s = self.s
        end = s.find("\n", self.i)
        if end < 0:
            end = len(s)
        text = s[self.i:end]
        if text.startswith("///") and not text.startswith("////") and self.starts_line():
            self.out.doc_lines[self.line] = text[3:].strip()
        self.i = end
        self.spaced = True

    def block_comment(self) -> None:
        s = self.s
        is_doc = s.startswith("/**", self.i) and not s.startswith("/**/", self.i) and self.starts_line()
        depth = 0
        start_line = self.line
        chunk_start = self.i
        while self.i < len(s):
            if s.startswith("/*", self.i):
                depth += 1
                self.advance(2)
            elif s.startswith("*/", self.i):
                depth -= 1
                self.advance(2)
                if depth == 0:
                    break
            else:
                self.advance()
        else:
            raise ValueError(f"line {start_line}: unterminated block comment")
        if is_doc:
            body = s[chunk_start + 3:self.i - 2]
            text = " ".join(part.strip().lstrip("*").strip() for part in body.split("\n")).strip()
            for line in range(start_line, self.line + 1):
                self.out.doc_lines[line] = text
        self.spaced = True

    def raw_string_ahead(self) -> bool:
        j = self.i
        while j < len(self.s) and self.s[j] == "#":
            j += 1
        return j < len(self.s) and self.s[j] == '"'

    def string(self) -> None:
        """Skips a string literal (plain, raw, multi-line), lexing interpolations as code."""
        s = self.s
        hashes = 0
        while self.peek() == "#":
            hashes += 1
            self.advance()
        multiline = s.startswith('"""', self.i)
        self.advance(3 if multiline else 1)
        closing = ('"""' if multiline else '"') + "#" * hashes
        escape = "\\" + "#" * hashes
        start_line = self.line
        while True:
            if self.i >= len(s):
                raise ValueError(f"line {start_line}: unterminated string literal")
            self.out.code_lines.add(self.line)
            if s.startswith(escape, self.i):
                self.advance(len(escape))
                if self.peek() == "(":
                    self.advance()
                    self.lex_code(stop_at_paren=True)
                else:
                    self.advance()  # the escaped character
            elif s.startswith(closing, self.i):
                self.advance(len(closing))
                return
            elif s[self.i] == "\n" and not multiline:
                raise ValueError(f"line {start_line}: unterminated string literal")
            else:
                self.advance()


# --------------------------------------------------------------------------------------------------
# Parser: declarations in file and type scopes (bodies of functions, accessors and closures are
# skipped, since nothing in them can be public).


@dataclass
class Scope:
    kind: str                  # "file", a TYPE_KEYWORDS member, or "extension"
    name: str                  # type name, or the extended type for an extension ("" for the file)
    access: str | None         # explicit access modifier of the type or extension
    parent: "Scope | None"
    decl: "Decl | None" = None  # the declaration that opened this scope (not for extensions)


@dataclass
class Decl:
    kind: str
    name: str
    line: int                  # line of the first modifier or keyword
    start_line: int            # line of the first attribute (or of the first modifier/keyword)
    access: str | None
    scope: Scope
    path: str = ""
    documented: bool = False


class Parser:
    def __init__(self, lexed: Lexed, path: str):
        self.t = lexed.tokens
        self.lexed = lexed
        self.path = path
        self.decls: list[Decl] = []

    def text(self, i: int) -> str:
        return self.t[i].text if i < len(self.t) else ""

    def skip_balanced(self, i: int) -> int:
        """`i` is at an opening bracket; returns the index after its closing bracket."""
        depth = 0
        while i < len(self.t):
            x = self.t[i].text
            if x in OPENERS:
                depth += 1
            elif x in CLOSERS:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i

    def at_statement_start(self, i: int) -> bool:
        if i == 0:
            return True
        prev = self.t[i - 1]
        return prev.line != self.t[i].line or prev.text in (";", "{", "}")

    def parse(self) -> list[Decl]:
        scope = Scope("file", "", None, None)
        i = 0
        n = len(self.t)
        while i < n:
            x = self.t[i].text
            if x in DIRECTIVES:
                line = self.t[i].line
                while i < n and self.t[i].line == line:
                    i += 1
            elif x == "}":
                if scope.parent is not None:
                    scope = scope.parent
                i += 1
            elif self.at_statement_start(i) and (x.startswith("@") or x in ACCESS or x in MODIFIERS
                                                 or x in DECL_KEYWORDS):
                before = i
                i, scope = self.declaration(i, scope)
                i = max(i, before + 1)
            elif x in OPENERS:
                i = self.skip_balanced(i)
            else:
                i += 1
        return self.decls

    def declaration(self, i: int, scope: Scope) -> tuple[int, Scope]:
        t = self.t
        start_line = t[i].line
        # Attributes, with arguments written right after the name: @available(*, deprecated).
        while i < len(t) and t[i].text.startswith("@") and len(t[i].text) > 1:
            i += 1
            if self.text(i) == "(" and not t[i].spaced:
                i = self.skip_balanced(i)
            elif self.text(i).startswith("<") and not t[i].spaced:  # @Attribute<Int>
                while i < len(t) and not t[i].text.endswith(">"):
                    i += 1
                i += 1
        if i >= len(t):
            return i, scope
        line = t[i].line
        access = None
        while i < len(t):
            x = t[i].text
            nxt = self.text(i + 1)
            if x in ACCESS:
                if nxt == "(" and self.text(i + 2) == "set":  # private(set): setter access only
                    i = self.skip_balanced(i + 1)
                    continue
                access = x
                i += 1
            elif x == "class" and (nxt in ACCESS or nxt in MODIFIERS or nxt in MEMBER_KEYWORDS):
                i += 1  # `class func`, `class var`: a modifier, not a class declaration
            elif x in MODIFIERS and x != "class":
                i += 1
                if self.text(i) == "(" and not t[i].spaced:  # nonisolated(unsafe), unowned(safe)
                    i = self.skip_balanced(i)
            else:
                break
        keyword = self.text(i)
        if keyword not in DECL_KEYWORDS:
            return i, scope  # not a declaration after all (or one we do not understand)
        i += 1

        def record(kind: str, name: str) -> Decl:
            d = Decl(kind, name, line, start_line, access, scope, self.path)
            d.documented = self.documented(start_line, line)
            self.decls.append(d)
            return d

        if keyword in TYPE_KEYWORDS or keyword == "extension":
            name = self.text(i)
            i += 1
            if keyword == "extension":
                while self.text(i) == "." and self.text(i + 1):
                    name += "." + self.text(i + 1)
                    i += 2
            decl = None if keyword == "extension" else record(keyword, name)
            # The body starts at the first `{` outside parentheses (inheritance and where clauses).
            while i < len(t) and t[i].text != "{":
                if t[i].text in ("(", "["):
                    i = self.skip_balanced(i)
                elif t[i].text == "}" or t[i].text == ";":
                    return i, scope  # malformed; give up on this declaration
                else:
                    i += 1
            return i + 1, Scope(keyword, name, access, scope, decl)
        if keyword in ("func", "init", "subscript", "macro"):
            name = keyword if keyword in ("init", "subscript") else self.text(i)
            if keyword != "init" and keyword != "subscript":
                i += 1
            # Generic parameters come before the parameter list; they hold no parentheses.
            while i < len(t) and t[i].text != "(" and t[i].line - line < 50:
                if t[i].text in ("{", "}", ";"):
                    break
                i += 1
            labels = []
            if self.text(i) == "(":
                end = self.skip_balanced(i)
                labels = self.labels(i + 1, end - 1, keyword == "subscript")
                i = end
            record(keyword, f"{name}({''.join(label + ':' for label in labels)})")
            return i, scope
        if keyword in ("var", "let"):
            if self.text(i) == "(":  # tuple pattern: let (a, b) = ...
                end = self.skip_balanced(i)
                names = [t[k].text for k in range(i + 1, end - 1)
                         if t[k].text not in (",", "_") and t[k].text[:1].isalpha()]
                record(keyword, "(" + ", ".join(names) + ")")
                return end, scope
            record(keyword, self.text(i))
            return i + 1, scope
        if keyword in ("typealias", "associatedtype"):
            record(keyword, self.text(i))
            return i + 1, scope
        if keyword == "case":
            if scope.kind != "enum":
                return i, scope
            names = []
            while i < len(t):
                names.append(t[i].text)
                i += 1
                if self.text(i) == "(":
                    i = self.skip_balanced(i)
                if self.text(i) == "=":  # raw value: a literal on the same line
                    equals_line = t[i].line
                    while i < len(t) and t[i].line == equals_line and t[i].text not in (",", ";", "}"):
                        i += 1
                if self.text(i) != ",":
                    break
                i += 1
            record("case", ", ".join(names))
            return i, scope
        # deinit, import, operator, precedencegroup: never need a doc comment here.
        return i, scope

    def labels(self, lo: int, hi: int, subscript: bool) -> list[str]:
        """External argument labels of the parameter list between token indices lo and hi."""
        labels = []
        params: list[list[str]] = [[]]
        i = lo
        while i < hi:
            x = self.t[i].text
            if x in OPENERS:
                params[-1].append(x)
                i = self.skip_balanced(i)
                continue
            if x == ",":
                params.append([])
            else:
                params[-1].append(x)
            i += 1
        for p in params:
            if not p:
                continue
            colon = p.index(":") if ":" in p else len(p)
            names = p[:colon]
            if len(names) >= 2:
                labels.append(names[0])
            elif names:
                labels.append("_" if subscript else names[0])
        return labels

    def documented(self, start_line: int, line: int) -> bool:
        """Whether a non-empty doc comment ends directly above the declaration that starts (with its
        attributes) on `start_line` and has its first modifier or keyword on `line`."""
        doc, code = self.lexed.doc_lines, self.lexed.code_lines
        # A doc comment among the attributes, or one that ends on the declaration's own line before
        # its first token (`/** Doc. */ public let x`).
        if any(doc.get(k) for k in range(start_line, line + 1)):
            return True
        # The contiguous comment-only doc lines right above; at least one must say something.
        k = start_line - 1
        while k >= 1 and k in doc and k not in code:
            if doc[k]:
                return True
            k -= 1
        return False


# --------------------------------------------------------------------------------------------------
# Effective access.


def qualified(scope: Scope) -> str:
    parts = []
    s: Scope | None = scope
    while s is not None and s.kind != "file":
        parts.append(s.name)
        s = s.parent
    return ".".join(reversed(parts))


def declared_public(d: Decl) -> bool:
    if d.access is not None:
        return d.access in PUBLIC_ACCESS
    s = d.scope
    if s.kind == "protocol":
        return s.decl is not None and s.decl.access in PUBLIC_ACCESS
    if s.kind == "extension":
        return s.access in PUBLIC_ACCESS
    if d.kind == "case" and s.kind == "enum":
        return s.decl is not None and s.decl.access in PUBLIC_ACCESS
    return False


class Resolver:
    def __init__(self, decls: list[Decl]):
        # Qualified type name -> its declarations (a name declared in several modules is public if
        # any of them is).
        self.types: dict[str, list[Decl]] = {}
        for d in decls:
            if d.kind in TYPE_KEYWORDS:
                self.types.setdefault(".".join(filter(None, [qualified(d.scope), d.name])), []).append(d)
        self.memo: dict[int, bool] = {}

    def type_public(self, name: str) -> bool:
        if name not in self.types:
            return True  # not one of ours (e.g. `extension Array`): as public as it gets
        return any(self.is_public(d) for d in self.types[name])

    def scope_public(self, s: Scope) -> bool:
        if s.kind == "file":
            return True
        if s.kind == "extension":
            return self.type_public(qualified(s))
        return s.decl is not None and self.is_public(s.decl)

    def is_public(self, d: Decl) -> bool:
        key = id(d)
        if key not in self.memo:
            self.memo[key] = False  # guards against cycles
            self.memo[key] = declared_public(d) and self.scope_public(d.scope)
        return self.memo[key]


def display_name(d: Decl) -> str:
    owner = qualified(d.scope)
    return f"{owner}.{d.name}" if owner else d.name


def fixed_meaning(d: Decl) -> bool:
    if d.kind in ("var", "let") and d.name in FIXED_MEANING:
        return True
    if d.kind == "func" and d.name.split("(")[0] == "==":
        return True
    return d.kind in ("func", "init") and d.name in FIXED_MEANING


# --------------------------------------------------------------------------------------------------
# Driver.


def module_of(path: str, roots: list[str]) -> str:
    parts = os.path.normpath(path).split(os.sep)
    if "Sources" in parts:
        k = len(parts) - 1 - parts[::-1].index("Sources")
        if k + 1 < len(parts) - 1:
            return parts[k + 1]
    for root in roots:
        if os.path.normpath(path).startswith(os.path.normpath(root) + os.sep):
            return os.path.basename(os.path.normpath(root))
    return os.path.dirname(path) or "."


def swift_files(folder: str) -> list[str]:
    if os.path.isfile(folder):
        return [folder] if folder.endswith(".swift") else []
    found = []
    for directory, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(directory, f) for f in sorted(files) if f.endswith(".swift")]
    return found


def check(folders: list[str], out=sys.stdout) -> int:
    decls: list[Decl] = []
    for folder in folders:
        for path in swift_files(folder):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            try:
                lexed = Lexer(text).run()
            except ValueError as error:
                print(f"{path}: cannot parse: {error}", file=sys.stderr)
                return 2
            decls += Parser(lexed, path).parse()
    resolver = Resolver(decls)
    public = [d for d in decls if d.kind != "extension" and resolver.is_public(d) and not fixed_meaning(d)]
    missing = [d for d in public if not d.documented]
    missing.sort(key=lambda d: (d.path, d.line))
    for d in missing:
        print(f"{d.path}:{d.line}: {display_name(d)}", file=out)
    totals: dict[str, list[int]] = {}
    for folder in folders:  # every module named on the command line appears, even with no files
        totals.setdefault(module_of(os.path.join(folder, "x.swift"), folders), [0, 0])
    for d in public:
        entry = totals.setdefault(module_of(d.path, folders), [0, 0])
        entry[1] += 1
        entry[0] += 0 if d.documented else 1
    if missing:
        print("", file=out)
    print("Undocumented public declarations per module:", file=out)
    width = max((len(m) for m in totals), default=0)
    for module in sorted(totals):
        undocumented, total = totals[module]
        print(f"  {module.ljust(width)}  {undocumented:4d} of {total:4d}", file=out)
    print(f"Total: {len(missing)} undocumented of {len(public)} public declarations.", file=out)
    return 1 if missing else 0


def default_folders() -> list[str]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sources = os.path.join(root, "Sources")
    names = sorted(n for n in os.listdir(sources)
                   if n.startswith("Dataflow") and os.path.isdir(os.path.join(sources, n)))
    cwd = os.getcwd()
    if os.path.abspath(cwd) == root:
        return [os.path.join("Sources", n) for n in names]
    return [os.path.join(sources, n) for n in names]


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    if argv[:1] == ["--self-test"]:
        return self_test()
    folders = argv or default_folders()
    for folder in folders:
        if not os.path.exists(folder):
            print(f"check-docs: no such folder: {folder}", file=sys.stderr)
            return 2
    return check(folders)


# --------------------------------------------------------------------------------------------------
# Self-test: hand-made cases. Each case is a file; `expected` lists the names reported as missing.

SELF_TEST_CASES = [
    (
        "Sources/ModA/Basics.swift",
        '''
import Foundation
@_exported import Dispatch

/// Documented.
public struct Documented {
    /// Documented.
    public var a: Int
    public var b: Int
    public private(set) var c: Int
    /// Documented.
    public private(set) var d: Int
    public static let e = 1
    package var notPublic: Int
    internal var alsoNot = 0
    var implicit = 0
    private var hidden = 0
    public var description: String { "x" }
    public var debugDescription: String { "x" }
    public init(from decoder: any Decoder) throws { fatalError() }
    public func encode(to encoder: any Encoder) throws {}
    public func hash(into hasher: inout Hasher) {}
    public static func == (lhs: Documented, rhs: Documented) -> Bool { true }
    public func encode(_ value: Int) {}

    /// Documented, with attributes in between.
    @discardableResult
    @inlinable
    public func withAttributes() -> Int { 1 }

    @available(*, deprecated, message: "use x")
    /// Documented between an attribute and the declaration.
    public func docAfterAttribute() {}

    /// Multi-line, generic.
    public func multiLine<T: Codable & Sendable>(
        _ value: T,
        label other: Int,
        closure: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> T where T: Hashable {
        let local = "} { \\(value) \\("nested }")"
        func inner() {}
        return value
    }

    public func genericUndocumented<T>(_ value: T, into: inout [T]) {}

    @discardableResult public func attributeSameLine() -> Int { 1 }

    // An ordinary comment is not a doc comment.
    public func plainComment() {}

    /// A doc comment separated by a blank line does not count.

    public func blankLine() {}

    ///
    public func emptyDoc() {}

    /** Block doc. */
    public func blockDoc() {}

    /**
     Block doc over lines.
     */
    public subscript(index: Int) -> Int { index }

    public subscript(key key: String) -> Int { 0 }

    public init?(maybe: Int) { nil }

    public typealias Alias = Int
}
''',
        [
            "Documented.b", "Documented.c", "Documented.e", "Documented.encode(_:)",
            "Documented.genericUndocumented(_:into:)", "Documented.attributeSameLine()",
            "Documented.plainComment()", "Documented.blankLine()", "Documented.emptyDoc()",
            "Documented.subscript(key:)", "Documented.init(maybe:)", "Documented.Alias",
        ],
    ),
    (
        "Sources/ModA/Kinds.swift",
        '''
public enum Kind: String, Codable {
    /// Documented.
    case one
    case two, three
    indirect case four(Kind)
    case `default` = "d"

    public var errorDescription: String? { nil }
    var internalThing: Int { 0 }
}

enum InternalEnum {
    case hidden
    public var notReallyPublic: Int { 0 }
}

/// Documented protocol.
public protocol Shape: Sendable {
    associatedtype Unit
    /// Documented.
    var area: Double { get }
    var perimeter: Double { get }
    func scaled(by factor: Double) -> Self
    init(side: Double)
}

protocol InternalProtocol {
    func hidden()
}

public final class Box<T> {
    public let value: T
    open func method() {}
    public class func make() -> Box<Int> { Box<Int>(value: 1) }
    public init(value: T) { self.value = value }
    /// Documented.
    public struct Nested {
        public var inner: Int
    }
    struct InternalNested {
        public var notPublic: Int
    }
}

public enum OneLine: Int { case a = 1, b }

/// Documented, and so are its cases on the same line.
public enum OneLineDocumented { case a, b }

public actor Counter {
    public nonisolated(unsafe) var unsafeValue = 0
    nonisolated public func read() -> Int { 0 }
}
''',
        [
            "Kind", "Kind.two, three", "Kind.four", "Kind.default",
            "Shape.Unit", "Shape.perimeter", "Shape.scaled(by:)", "Shape.init(side:)",
            "Box", "Box.value", "Box.method()", "Box.make()", "Box.init(value:)", "Box.Nested.inner",
            "OneLine", "OneLine.a, b",
            "Counter", "Counter.unsafeValue", "Counter.read()",
        ],
    ),
    (
        "Sources/ModB/Extensions.swift",
        '''
#if canImport(Glibc)
import Glibc
#endif

extension Documented {
    public func fromExtension() {}
    func internalFromExtension() {}
    /// Documented.
    public static var documented: Int { 1 }
}

public extension Documented {
    func implicitlyPublic() {}
    private func stillPrivate() {}
    package func packageOnly() {}
}

extension Array where Element == Int {
    public var total: Int { reduce(0, +) }
}

extension InternalEnum {
    public func notPublic() {}
}

extension Box.Nested {
    public func nestedExtension() {}
}

public struct Iter: Sequence, IteratorProtocol {
    /** Documented. */ public var x = 0
    public mutating func next() -> Int? { nil }
    public func makeIterator() -> Iter { self }
    public let a = #"raw "string" with \\#(1 + 1) and { brace"#, b = """
        multi { line
        """
    public
    func splitAccess() {}
    public let (first, second) = (1, 2)
}

public func freeFunction() {}
public var globalVariable = 0
/// Documented.
public let documentedGlobal = 0
''',
        [
            "Documented.fromExtension()", "Documented.implicitlyPublic()", "Array.total",
            "Box.Nested.nestedExtension()", "Iter", "Iter.a", "Iter.splitAccess()",
            "Iter.(first, second)", "freeFunction()", "globalVariable",
        ],
    ),
]


def self_test() -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as root:
        for relative, text, _ in SELF_TEST_CASES:
            path = os.path.join(root, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        import io
        buffer = io.StringIO()
        status = check([os.path.join(root, "Sources", "ModA"), os.path.join(root, "Sources", "ModB")], buffer)
        output = buffer.getvalue()
        reported: dict[str, list[str]] = {}
        for line in output.splitlines():
            if line.startswith(root):
                where, name = line.split(": ", 1)
                reported.setdefault(os.path.relpath(where.rsplit(":", 1)[0], root), []).append(name)
        for relative, _, expected in SELF_TEST_CASES:
            got = reported.get(relative, [])
            if sorted(got) != sorted(expected):
                failures += 1
                print(f"FAIL {relative}")
                print(f"  missing from report: {sorted(set(expected) - set(got))}")
                print(f"  unexpected in report: {sorted(set(got) - set(expected))}")
            else:
                print(f"ok   {relative} ({len(expected)} undocumented found)")
        if status != 1:
            failures += 1
            print(f"FAIL exit status {status}, expected 1")
        if "ModA" not in output or "ModB" not in output:
            failures += 1
            print("FAIL per-module counts missing:\n" + output)
        # A fully documented folder passes with status 0.
        clean = os.path.join(root, "Sources", "Clean")
        os.makedirs(clean)
        with open(os.path.join(clean, "Clean.swift"), "w", encoding="utf-8") as f:
            f.write("/// Doc.\npublic struct Clean {\n    /// Doc.\n    public var x: Int\n"
                    "    public var description: String { \"\" }\n}\n")
        status = check([clean], io.StringIO())
        if status != 0:
            failures += 1
            print(f"FAIL clean folder: exit status {status}, expected 0")
        else:
            print("ok   clean folder passes")
    print("self-test passed" if failures == 0 else f"self-test: {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
