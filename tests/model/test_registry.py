"""The shipped registry's lookups, and the build's duplicate rules on a tiny synthetic source tree."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from model.registry import Registry, default_registry
from model.registry_build import MAJOR_ASSETS, build, write

PEPE_CA = "0x6982508145454Ce325dDbE47a25d4ec3d2311933"


def test_symbols_and_priority_ids() -> None:
    registry = default_registry()
    assert registry.is_known("btc") and registry.is_known("FARTCOIN")
    assert not registry.is_known("ZORBLAX")
    # Several CoinGecko ids share these symbols: the curated priority list decides.
    assert registry.asset_id("BTC") == "bitcoin"
    assert registry.asset_id("eth") == "ethereum"
    assert registry.asset_id("PEPE") == "pepe"
    assert registry.asset_ids("PEPE")[0] == "pepe" and len(registry.asset_ids("PEPE")) > 1
    assert registry.asset_id("ZORBLAX") is None


def test_contracts_names_and_aliases() -> None:
    registry = default_registry()
    assert registry.symbol_for_contract(PEPE_CA) == "PEPE"
    assert registry.symbol_for_contract(PEPE_CA.lower()) == "PEPE"
    assert registry.symbol_for_contract("0x" + "0" * 39 + "1") is None
    assert registry.symbol_for_name("Shiba Inu") == "SHIB"
    assert registry.symbol_for_name("DOGECOIN") == "DOGE"
    assert registry.symbol_for_name("ethereum") == "ETH"
    assert registry.symbol_for_zh("大饼") == "BTC"
    assert registry.symbol_for_zh("以太坊") == "ETH"
    assert registry.symbol_for_zh("U") is None  # too ambiguous to ship as an alias


def test_curated_lists() -> None:
    registry = default_registry()
    assert {"NEAR", "ONE", "LINK", "GAS", "IN", "IP", "TRUMP"} <= registry.everyday_tickers
    assert {"TSLA", "MSTR", "COIN", "IBIT", "SPY", "BOO"} <= registry.stock_tickers
    assert registry.is_non_crypto("usd") and registry.is_non_crypto("TSLA")
    assert not registry.is_non_crypto("BTC")
    assert {"BTC", "ETH", "PEPE", "DOGE"} <= registry.major_symbols


def _write_sources(root: Path) -> Path:
    """A shared/data tree with two coins sharing each of BTC and ZAP, one banned mint, one address dispute."""
    registry = root / "registry"
    (registry / "evm_tokenlists").mkdir(parents=True)
    (registry / "solana_jupiter").mkdir()
    coins = [
        {"id": "batcat", "symbol": "btc", "name": "batcat"},
        {"id": "bitcoin", "symbol": "btc", "name": "Bitcoin"},
        {"id": "zap-long-id", "symbol": "zap", "name": "Zap Listed"},
        {"id": "zap", "symbol": "zap", "name": "Zap Other"},
        {"id": "zip-a", "symbol": "zip", "name": "Zip"},
        {"id": "zip", "symbol": "zip", "name": "Zip Two"},
    ]
    (registry / "coingecko_coins_2025-01-01.json").write_text(json.dumps(coins))
    tokens = [
        {"address": "0xAAAA000000000000000000000000000000000001", "symbol": "ZAP", "name": "Zap Listed", "chainId": 1},
        {"address": "0xaaaa000000000000000000000000000000000001", "symbol": "ZAPX", "name": "Zap Listed", "chainId": 1},
    ]
    for i, name in enumerate(("lists_coingecko.json", "lists_popular.json", "lists_tokenlistooor.json")):
        listed = tokens[: 1 if i else 2]
        (registry / "evm_tokenlists" / name).write_text(json.dumps({"tokens": listed}))
    header = ["Name", "Symbol", "Mint", "Decimals", "LogoURI", "Community Validated"]
    with (registry / "solana_jupiter" / "validated-tokens_x.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerow(["Good", "GOOD", "GoodMint1111111111111111111111111", 6, "", "false"])
        writer.writerow(["Scam", "SCAM", "BadMint11111111111111111111111111", 6, "", "false"])
    (registry / "solana_jupiter" / "banned-tokens.csv").write_text("Mint,Reasons\nBadMint11111111111111111111111111,scam\n")
    (registry / "zh_aliases.json").write_text(json.dumps({"aliases": {"BTC": ["比特币", "U"]}}))
    return root


def test_build_duplicate_rules(tmp_path: Path) -> None:
    asset = build(_write_sources(tmp_path / "data"))
    # Curated priority beats everything; then the id whose name the token lists carry; then the shorter id.
    assert asset["symbols"]["BTC"] == ["bitcoin", "batcat"]
    assert asset["symbols"]["ZAP"] == ["zap-long-id", "zap"]
    assert asset["symbols"]["ZIP"] == ["zip", "zip-a"]
    # An address listed under two symbols takes the one most lists give it, lower-cased.
    assert asset["contracts"]["0xaaaa000000000000000000000000000000000001"] == "ZAP"
    assert "GoodMint1111111111111111111111111" in asset["contracts"]
    assert "BadMint11111111111111111111111111" not in asset["contracts"]
    assert asset["zh"]["比特币"] == "BTC" and "U" not in asset["zh"]
    assert asset["names"]["bitcoin"] == "BTC"
    assert set(MAJOR_ASSETS) <= set(asset["symbols"])  # curated assets are known even when no source lists them

    out = tmp_path / "registry.json.gz"
    write(asset, out)
    first = out.read_bytes()
    write(build(tmp_path / "data"), out)
    assert out.read_bytes() == first  # deterministic
    registry = Registry.load(out)
    assert registry.asset_id("zap") == "zap-long-id"
    assert registry.symbol_for_contract("0xAAAA000000000000000000000000000000000001") == "ZAP"


def test_shipped_asset_is_small() -> None:
    asset = Path(__file__).parents[2] / "model" / "assets" / "registry.json.gz"
    assert asset.stat().st_size < 2_000_000
