"""The policy language: monotone boolean expressions over principals, as used for endorsement and channel policies.

Syntax (Fabric-like)::

    'Org1MSP.peer'                      a principal: an MSP id and a role, always quoted (single or double quotes)
    AND(e1, e2, ...)                    every sub-expression
    OR(e1, e2, ...)                     at least one sub-expression
    OutOf(n, e1, e2, ...)               at least n sub-expressions, 1 <= n <= number of sub-expressions
    MAJORITY, ANY, ALL                  over the channel's organisations, with the parser's default role
    MAJORITY(peer), ANY(admin), ...     the same with an explicit role

Keywords are case-insensitive; roles and MSP ids are not. Every expression is reduced to a tree of threshold
gates (``Gate``) whose leaves are ``Principal`` values: AND is a gate with threshold = number of children, OR a gate
with threshold 1. MAJORITY/ANY/ALL are expanded when parsing, because the set of organisations is a property of the
channel and the tree must not change meaning when it is evaluated elsewhere.

Evaluation follows Fabric's rule that one signer satisfies at most one leaf of the whole expression: an endorsement
policy ``OutOf(2, 'Org1MSP.peer', 'Org1MSP.peer')`` needs two different Org1 peers, not one peer counted twice.
That turns evaluation into a matching problem, solved by an exhaustive (memoised, pruned) search rather than greedy
first-fit, which can reject a signature set that does satisfy the policy.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NoReturn, Union

ROLES: frozenset[str] = frozenset({"member", "peer", "orderer", "client", "admin"})
"""Roles a principal may name. ``member`` is matched by an identity of any role in the organisation."""

MEMBER = "member"

_MSP_ID = re.compile(r"[A-Za-z0-9_.\-]+")
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_ORG_KEYWORDS = ("majority", "any", "all")


class PolicyError(ValueError):
    """A policy expression that cannot be parsed or does not fit the channel.

    The message quotes the expression and gives the 1-based character position, because policies are written by
    hand in channel configuration files and an operator must be able to find the mistake without a debugger.
    """

    def __init__(self, message: str, expression: str | None = None, position: int | None = None) -> None:
        super().__init__(message)
        self.expression = expression
        self.position = position


@dataclass(frozen=True, order=True)
class Principal:
    """An identity class, ``'<msp_id>.<role>'``; also the description of an actual signer (its MSP and role)."""

    msp_id: str
    role: str

    def matches(self, signer: Principal) -> bool:
        """Whether ``signer`` (a concrete identity) satisfies this principal used as a policy leaf."""
        return self.msp_id == signer.msp_id and (self.role == MEMBER or self.role == signer.role)

    def __str__(self) -> str:
        return f"'{self.msp_id}.{self.role}'"


@dataclass(frozen=True)
class Gate:
    """At least ``threshold`` of ``children`` must be satisfied (AND, OR and OutOf are all such gates)."""

    threshold: int
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return f"OutOf({self.threshold}, {', '.join(str(child) for child in self.children)})"


Node = Principal | Gate
"""A node of a parsed policy: a principal leaf or a threshold gate."""

_State = tuple[int, ...]
"""During evaluation: how many signers of each distinct kind are still unused (indexed like the kinds tuple)."""


VERDICT_CACHE_SIZE = 4096  # distinct signer multisets remembered per policy; the cache starts over beyond it


@dataclass(frozen=True)
class Policy:
    """A parsed policy. Build it with :func:`parse_policy`; ``expression`` keeps the text as written."""

    expression: str
    root: Node = field(repr=False)

    def __str__(self) -> str:
        return self.expression

    def evaluate(self, identities: Iterable[Principal]) -> bool:
        """Whether the signers ``identities`` satisfy the policy, each signer used for at most one leaf.

        ``identities`` lists one entry per distinct signer that produced a valid signature; two peers of the same
        organisation appear as two equal ``Principal`` values. The caller must already have dropped duplicate
        signatures of the same identity, otherwise one identity could be counted twice.
        """
        counts = Counter(identities)
        if not counts:
            return False
        key = tuple(sorted(counts.items()))
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) >= VERDICT_CACHE_SIZE:
                self._verdicts.clear()
            kinds = tuple(kind for kind, _ in key)
            verdict = _Search(self._program, kinds).satisfiable(tuple(count for _, count in key))
            self._verdicts[key] = verdict
        return verdict

    def principals(self) -> frozenset[Principal]:
        """Every principal named by a leaf (after MAJORITY/ANY/ALL expansion)."""
        return frozenset(_leaves(self.root))

    def satisfying_org_sets(self) -> list[frozenset[str]]:
        """Organisation sets from which a set of signers satisfying the policy can be drawn, smallest first.

        Computed from the minimal multisets of leaves that satisfy the policy (no proper sub-multiset does),
        projected onto their MSP ids and de-duplicated. The projection drops multiplicity: for
        ``OutOf(2, 'A.peer', 'A.peer')`` the answer is ``[{A}]`` although two A peers are needed. Projections of
        different minimal multisets are all kept even when one contains another, so that a gateway whose preferred
        organisations cannot supply enough signers has a fallback. Order is by size, then by sorted MSP ids, so
        the gateway's choice is deterministic. The list can be long (MAJORITY over k organisations has
        C(k, k//2+1) entries); it is computed once per policy and cached.
        """
        return list(self._org_sets)

    @cached_property
    def _verdicts(self) -> dict[tuple[tuple[Principal, int], ...], bool]:
        """Verdicts by signer multiset: a block's transactions nearly all carry the same kinds of endorsers, and
        searching again for each was several percent of a validating peer's CPU (docs/performance.md)."""
        return {}

    @cached_property
    def _program(self) -> _Program:
        return _Program.compile(self.root)

    @cached_property
    def _org_sets(self) -> tuple[frozenset[str], ...]:
        # Counter is unhashable; key minimal multisets by their sorted element tuples to de-duplicate.
        seen: set[frozenset[str]] = set()
        org_sets: list[frozenset[str]] = []
        for multiset in _minimal_multisets(self.root):
            orgs = frozenset(principal.msp_id for principal in multiset)
            if orgs not in seen:
                seen.add(orgs)
                org_sets.append(orgs)
        org_sets.sort(key=lambda orgs: (len(orgs), sorted(orgs)))
        return tuple(org_sets)


def parse_policy(expression: str, orgs: Sequence[str] = (), default_role: str = MEMBER) -> Policy:
    """Parse ``expression`` into a :class:`Policy`.

    ``orgs`` are the channel's organisations (MSP ids). They are needed to expand MAJORITY/ANY/ALL, and when
    given, every explicit principal must name one of them, so that a typo in an MSP id is caught when the channel
    is configured instead of silently making the policy unsatisfiable. ``default_role`` is the role used by
    MAJORITY/ANY/ALL written without one: the caller knows the context ("peer" for endorsement, "admin" for
    lifecycle and admin policies, "member" for readers/writers).
    """
    if default_role not in ROLES:
        raise PolicyError(f"unknown default role {default_role!r}; allowed roles: {_role_list()}")
    known = tuple(dict.fromkeys(orgs))  # de-duplicate, keep the caller's order for MAJORITY/ANY/ALL
    for org in known:
        if not _MSP_ID.fullmatch(org):
            raise PolicyError(f"invalid channel organisation {org!r}: an MSP id uses letters, digits, '_', '.', '-'")
    return Policy(expression=expression, root=_Parser(expression, known, default_role).parse())


# --------------------------------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", ",", "string", "word", "end"
    text: str  # for "string": the content between the quotes
    position: int  # 0-based offset of the token's first character


def _tokenize(expression: str, fail: _Fail) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    length = len(expression)
    while index < length:
        char = expression[index]
        if char.isspace():
            index += 1
        elif char in "(),":
            tokens.append(_Token(char, char, index))
            index += 1
        elif char in "'\"":
            end = expression.find(char, index + 1)
            if end < 0:
                fail(index, "unterminated principal", f": no closing {char} for the opening quote")
            tokens.append(_Token("string", expression[index + 1 : end], index))
            index = end + 1
        elif char in _WORD_CHARS:
            end = index
            while end < length and expression[end] in _WORD_CHARS:
                end += 1
            tokens.append(_Token("word", expression[index:end], index))
            index = end
        else:
            fail(index, f"unexpected character {char!r}")
    tokens.append(_Token("end", "", length))
    return tokens


class _Fail:
    """Raises a PolicyError that quotes the expression and gives a 1-based position (columns as an editor shows)."""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    def __call__(self, position: int, what: str, detail: str = "") -> NoReturn:
        """``what`` went wrong or was expected at ``position``; ``detail`` (found what, allowed values) follows."""
        raise PolicyError(
            f"policy '{self.expression}': {what} at position {position + 1}{detail}",
            expression=self.expression,
            position=position + 1,
        )


class _Parser:
    """Recursive descent over the token list; one method per construct, each consuming exactly its tokens."""

    def __init__(self, expression: str, orgs: tuple[str, ...], default_role: str) -> None:
        self.fail = _Fail(expression)
        self.tokens = _tokenize(expression, self.fail)
        self.index = 0
        self.orgs = orgs
        self.default_role = default_role

    def parse(self) -> Node:
        node = self.expression()
        token = self.peek()
        if token.kind != "end":
            self.fail(token.position, "expected the end of the policy", f", found trailing {self.describe(token)}")
        return node

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    @staticmethod
    def describe(token: _Token) -> str:
        if token.kind == "end":
            return "end of policy"
        if token.kind == "string":
            return f"'{token.text}'"
        return repr(token.text)

    def expect(self, kind: str, what: str) -> _Token:
        token = self.take()
        if token.kind != kind:
            self.fail(token.position, f"expected {what}", f", found {self.describe(token)}")
        return token

    def expression(self) -> Node:
        token = self.take()
        expected = "a principal or sub-expression"
        if token.kind == "string":
            return self.principal(token)
        if token.kind != "word":
            self.fail(token.position, f"expected {expected}", f", found {self.describe(token)}")
        keyword = token.text.lower()
        if keyword in ("and", "or"):
            return self.and_or(keyword)
        if keyword == "outof":
            return self.out_of()
        if keyword in _ORG_KEYWORDS:
            return self.over_orgs(token, keyword)
        if token.text.isdigit():
            self.fail(token.position, f"expected {expected}", f", found the number {token.text}")
        self.fail(
            token.position,
            f"expected {expected}",
            f", found {token.text!r} (principals must be quoted, e.g. 'Org1MSP.peer'; "
            "keywords are AND, OR, OutOf, MAJORITY, ANY, ALL)",
        )

    def arguments(self, opening: _Token) -> list[Node]:
        """Parse ``e1, e2, ...)`` after an opening parenthesis (or after OutOf's threshold and comma)."""
        children = [self.expression()]
        while True:
            token = self.take()
            if token.kind == ")":
                return children
            if token.kind != ",":
                unclosed = f" (unbalanced parentheses: '(' at position {opening.position + 1} is not closed)"
                self.fail(
                    token.position,
                    "expected ',' or ')'",
                    f", found {self.describe(token)}" + (unclosed if token.kind == "end" else ""),
                )
            children.append(self.expression())

    def and_or(self, keyword: str) -> Node:
        opening = self.expect("(", f"'(' after {keyword.upper()}")
        children = self.arguments(opening)
        threshold = len(children) if keyword == "and" else 1
        return Gate(threshold, tuple(children))

    def out_of(self) -> Node:
        opening = self.expect("(", "'(' after OutOf")
        count = self.take()
        if count.kind != "word" or not count.text.isdigit():
            self.fail(
                count.position, "expected a positive integer threshold for OutOf", f", found {self.describe(count)}"
            )
        threshold = int(count.text)
        self.expect(",", "',' and at least one sub-expression after the OutOf threshold")
        children = self.arguments(opening)
        if not 1 <= threshold <= len(children):
            self.fail(
                count.position,
                f"OutOf threshold {threshold} out of range",
                f": must be between 1 and {len(children)} (the number of sub-expressions)",
            )
        return Gate(threshold, tuple(children))

    def over_orgs(self, keyword_token: _Token, keyword: str) -> Node:
        role = self.default_role
        if self.peek().kind == "(":
            self.take()
            role_token = self.take()
            if role_token.kind != "word":
                self.fail(
                    role_token.position,
                    f"expected a role for {keyword.upper()}",
                    f" ({_role_list()}), found {self.describe(role_token)}",
                )
            role = role_token.text
            if role not in ROLES:
                self.fail(role_token.position, f"unknown role {role!r}", f"; allowed roles: {_role_list()}")
            self.expect(")", f"')' after the role of {keyword.upper()}")
        if not self.orgs:
            self.fail(
                keyword_token.position,
                f"{keyword.upper()} needs the channel organisations",
                " (none were given to the parser)",
            )
        leaves = tuple(Principal(org, role) for org in self.orgs)
        if keyword == "majority":
            threshold = len(leaves) // 2 + 1
        elif keyword == "any":
            threshold = 1
        else:
            threshold = len(leaves)
        return Gate(threshold, leaves)

    def principal(self, token: _Token) -> Principal:
        msp_id, dot, role = token.text.rpartition(".")
        if not dot or not msp_id:
            self.fail(token.position, "expected a principal written 'MSPID.role'", f", found '{token.text}'")
        if not _MSP_ID.fullmatch(msp_id):
            self.fail(
                token.position,
                f"invalid MSP id {msp_id!r} in principal",
                ": expected letters, digits, '_', '.', '-'",
            )
        if role not in ROLES:
            self.fail(token.position, f"unknown role {role!r} in principal", f"; allowed roles: {_role_list()}")
        if self.orgs and msp_id not in self.orgs:
            self.fail(
                token.position,
                f"unknown organisation {msp_id!r}",
                f"; the channel's organisations are {', '.join(self.orgs)}",
            )
        return Principal(msp_id, role)


def _role_list() -> str:
    return ", ".join(sorted(ROLES))


# --------------------------------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class _Program:
    """The policy tree flattened into arrays indexed by node number, so search states hash cheaply.

    ``leaf[n]`` is the principal of a leaf (None for a gate); ``threshold[n]`` is 1 for a leaf; ``children[n]`` is
    empty for a leaf.
    """

    leaf: tuple[Principal | None, ...]
    threshold: tuple[int, ...]
    children: tuple[tuple[int, ...], ...]

    @classmethod
    def compile(cls, root: Node) -> _Program:
        leaf: list[Principal | None] = []
        threshold: list[int] = []
        children: list[tuple[int, ...]] = []

        def number(node: Node) -> int:
            index = len(leaf)
            leaf.append(None)
            threshold.append(1)
            children.append(())
            if isinstance(node, Principal):
                leaf[index] = node
            else:
                threshold[index] = node.threshold
                children[index] = tuple(number(child) for child in node.children)
            return index

        number(root)
        return cls(tuple(leaf), tuple(threshold), tuple(children))


_Frame = tuple[int, int, int]
"""An obligation during the search: (node, first child still eligible, number of children still to satisfy)."""

_Agenda = Union[tuple[_Frame, "_Agenda"], None]  # noqa: UP007 - a recursive alias needs the string forward reference
"""Pending obligations as an immutable linked list (hashable, and sharing its tail between branches)."""


class _Search:
    """Depth-first search for an assignment of signers to leaves, one signer per leaf at most.

    Signers of the same kind (equal MSP id and role) are interchangeable, so the state is just the number of unused
    signers per kind. The search works top-down on an agenda of obligations and stops at the first success, which
    matters because the set of ways to satisfy e.g. MAJORITY over many organisations is huge while one way is
    usually found at once. A gate satisfies exactly ``threshold`` children, tried in increasing child order:
    satisfying more only consumes signers, which never helps a monotone policy. Failed (state, agenda) pairs are
    remembered, and a gate that could not reach its threshold even if its children did not compete for signers is
    abandoned immediately.
    """

    def __init__(self, program: _Program, kinds: tuple[Principal, ...]) -> None:
        self.program = program
        self.matching = tuple(
            () if leaf is None else tuple(index for index, kind in enumerate(kinds) if leaf.matches(kind))
            for leaf in program.leaf
        )
        self.failed: set[tuple[_State, _Agenda]] = set()
        self.possible_memo: dict[tuple[int, _State], bool] = {}

    def satisfiable(self, state: _State) -> bool:
        return self.solve(state, ((0, 0, self.program.threshold[0]), None))

    def solve(self, state: _State, agenda: _Agenda) -> bool:
        if agenda is None:
            return True
        key = (state, agenda)
        if key in self.failed:
            return False
        (node, first, need), rest = agenda
        if self.program.leaf[node] is not None:
            found = self.use_signer(node, state, rest)
        else:
            found = self.choose_children(node, first, need, state, rest)
        if not found:
            self.failed.add(key)
        return found

    def use_signer(self, node: int, state: _State, rest: _Agenda) -> bool:
        for kind in self.matching[node]:  # a plain loop, not any(): one Python frame less per level of recursion
            if state[kind] and self.solve((*state[:kind], state[kind] - 1, *state[kind + 1 :]), rest):
                return True
        return False

    def choose_children(self, node: int, first: int, need: int, state: _State, rest: _Agenda) -> bool:
        children = self.program.children[node]
        candidates = [index for index in range(first, len(children)) if self.possible(children[index], state)]
        for position, index in enumerate(candidates):
            if len(candidates) - position < need:
                break
            child = children[index]
            after: _Agenda = rest if need == 1 else ((node, index + 1, need - 1), rest)
            if self.solve(state, ((child, 0, self.program.threshold[child]), after)):
                return True
        return False

    def possible(self, node: int, state: _State) -> bool:
        """Optimistic test ignoring competition between leaves: False means ``node`` surely cannot be satisfied."""
        if self.program.leaf[node] is not None:
            return any(state[kind] for kind in self.matching[node])
        key = (node, state)
        cached = self.possible_memo.get(key)
        if cached is None:
            need = self.program.threshold[node]
            cached = sum(1 for child in self.program.children[node] if self.possible(child, state)) >= need
            self.possible_memo[key] = cached
        return cached


def _leaves(node: Node) -> Iterator[Principal]:
    if isinstance(node, Principal):
        yield node
    else:
        for child in node.children:
            yield from _leaves(child)


# --------------------------------------------------------------------------------------------------------------------
# Minimal satisfying sets


def _minimal_multisets(node: Node) -> list[Counter[Principal]]:
    """Minimal multisets of leaves (principal -> number of distinct signers needed) that satisfy ``node``."""
    if isinstance(node, Principal):
        return [Counter({node: 1})]
    per_child = [_minimal_multisets(child) for child in node.children]
    candidates: list[Counter[Principal]] = []
    for chosen in itertools.combinations(per_child, node.threshold):
        for parts in itertools.product(*chosen):
            total: Counter[Principal] = Counter()
            for part in parts:
                total.update(part)
            candidates.append(total)
    # When no principal occurs under two different children (MAJORITY, ANY, ALL and most hand-written policies), a
    # candidate contained in another would have to come from the same children and from a non-minimal part of one
    # of them, which cannot happen; the quadratic filter is only needed when children share principals.
    supports = [frozenset(principal for part in parts for principal in part) for parts in per_child]
    if sum(len(support) for support in supports) == len(frozenset().union(*supports)):
        return candidates
    return _minimal(candidates)


def _minimal(candidates: list[Counter[Principal]]) -> list[Counter[Principal]]:
    """Keep the multisets that contain no other candidate; ties are broken deterministically by sorted contents."""
    ordered = sorted(candidates, key=lambda multiset: (multiset.total(), sorted(multiset.elements())))
    kept: list[Counter[Principal]] = []
    for multiset in ordered:
        if not any(other <= multiset for other in kept):
            kept.append(multiset)
    return kept
