"""What tokens exist, read from the shipped asset built by :mod:`model.registry_build`.

The curated lists (major assets, everyday-word tickers, stock tickers, fiat codes...) are defined, with
the reason for each, in :mod:`model.registry_build` and travel inside the asset.
"""

from __future__ import annotations

import copy
import gzip
from functools import cache
from pathlib import Path
from typing import TypedDict

import orjson

from schemas import normal_address

DEFAULT_PATH = Path(__file__).parent / "assets" / "registry.json.gz"
# What the hand labels say a surface names where the lists say otherwise (model.training.lexicon).
SURFACES_PATH = Path(__file__).parent / "assets" / "surfaces.json"


class Curated(TypedDict):
    """The hand-made lists of :mod:`model.registry_build`, as stored in the asset."""

    major: dict[str, list[str]]
    context_names: list[str]
    everyday_tickers: list[str]
    caseless_tickers: list[str]
    stock_tickers: list[str]
    fiat_codes: list[str]
    not_tickers: list[str]
    zh_context_aliases: list[str]


class Asset(TypedDict):
    """The registry asset: see :mod:`model.registry_build` for what each map holds."""

    symbols: dict[str, list[str]]
    names: dict[str, str]
    contracts: dict[str, str]
    zh: dict[str, str]
    curated: Curated


class Registry:
    """Lookups over symbols, names, contract addresses and Chinese aliases; symbols are upper-case."""

    def __init__(self, asset: Asset, surfaces: dict[str, str] | None = None) -> None:
        """``asset`` is the decoded registry JSON; ``surfaces`` the labelled-surfaces table (casefolded surface → symbol)."""
        self._surfaces = surfaces or {}
        self._symbols = asset["symbols"]
        self._names = asset["names"]
        self._contracts = asset["contracts"]
        self._zh = asset["zh"]
        curated = asset["curated"]
        self.major_symbols = frozenset(curated["major"])
        # Curated names win over the long tail of CoinGecko names (the build already applied that rule).
        self.major_names = {name: symbol for symbol, names in curated["major"].items() for name in names}
        self.context_names = frozenset(curated["context_names"])
        self.everyday_tickers = frozenset(curated["everyday_tickers"])
        self.caseless_tickers = frozenset(curated["caseless_tickers"])
        self.stock_tickers = frozenset(curated["stock_tickers"])
        self.fiat_codes = frozenset(curated["fiat_codes"])
        self.not_tickers = frozenset(curated["not_tickers"])
        self.zh_context_aliases = frozenset(curated["zh_context_aliases"])

    @classmethod
    def load(cls, path: Path | None = None, surfaces: Path | None = SURFACES_PATH) -> Registry:
        """Read the gzip JSON asset at ``path`` (the shipped one when None) and the labelled-surfaces table at
        ``surfaces`` (none when None or absent)."""
        with gzip.open(path or DEFAULT_PATH, "rb") as f:
            asset = orjson.loads(f.read())
        table = orjson.loads(surfaces.read_bytes()) if surfaces is not None and surfaces.exists() else None
        return cls(asset, table)

    def with_surfaces(self, surfaces: dict[str, str]) -> Registry:
        """This registry with another labelled-surfaces table (training scores its held-out split with one
        built without it)."""
        other = copy.copy(self)
        other._surfaces = dict(surfaces)
        return other

    def symbol_for_surface(self, surface: str) -> str | None:
        """The symbol the hand labels give ``surface`` (any case) where the lists read it otherwise, or None."""
        return self._surfaces.get(surface.casefold())

    def is_known(self, symbol: str) -> bool:
        """Whether any source lists ``symbol`` (any case)."""
        return symbol.upper() in self._symbols

    def asset_id(self, symbol: str) -> str | None:
        """The preferred CoinGecko id of ``symbol`` (any case), or None when CoinGecko does not list it."""
        ids = self._symbols.get(symbol.upper())
        return ids[0] if ids else None

    def asset_ids(self, symbol: str) -> list[str]:
        """Every CoinGecko id sharing ``symbol``, preferred first."""
        return list(self._symbols.get(symbol.upper(), ()))

    def is_non_crypto(self, symbol: str) -> bool:
        """Whether ``symbol`` is a stock/ETF/index ticker or a fiat code, which never names a crypto asset."""
        symbol = symbol.upper()
        return symbol in self.stock_tickers or symbol in self.fiat_codes

    def symbol_for_contract(self, address: str) -> str | None:
        """The symbol of a contract address: EVM ``0x`` addresses in any case, Solana mints exactly."""
        return self._contracts.get(normal_address(address))

    def symbol_for_name(self, name: str) -> str | None:
        """The symbol a name or nickname stands for ("Bitcoin", "shiba inu", "doge"), case-insensitive."""
        key = name.casefold()
        return self.major_names.get(key) or self._names.get(key)

    def symbol_for_zh(self, alias: str) -> str | None:
        """The symbol of a Chinese name or nickname ("比特币", "大饼")."""
        return self._zh.get(alias)

    @property
    def zh_aliases(self) -> dict[str, str]:
        """Every Chinese alias and its symbol."""
        return dict(self._zh)


@cache
def default_registry() -> Registry:
    """The shipped registry, loaded once per process."""
    return Registry.load()
