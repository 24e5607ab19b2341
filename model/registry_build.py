"""Build the shipped token registry, ``model/assets/registry.json.gz``, from the "ship ok" sources.

Run ``python -m model.registry_build --shared ../shared/data --out model/assets/registry.json.gz``.

Sources (see ``shared/data/SOURCES.md``): the CoinGecko coins list, the EVM token lists, the Jupiter
validated Solana lists (minus the banned mints) and ``zh_aliases.json``. The 2019 exchange-name file is
not shippable and is not read.

The asset is one gzip JSON object:

- ``symbols``: upper-case symbol → CoinGecko ids, preferred first (``[]`` when only a token list knows it);
- ``names``: lower-case name or nickname → symbol;
- ``contracts``: contract address (EVM lower-cased, Solana mint as written) → symbol;
- ``zh``: Chinese alias → symbol;
- ``curated``: the hand-made lists below, which the rules read through :class:`model.registry.Registry`.

Duplicates are resolved deterministically:

- a symbol's ids: the id named in :data:`MAJOR_ASSETS` comes first; the others follow by how many token-list
  entries carry that symbol under the id's name (more first), then the shorter id, then alphabetical order;
- a name shared by several coins: the curated names of :data:`MAJOR_ASSETS` win; otherwise the coin ranked
  first by the same order;
- an address listed with different symbols: the symbol most lists give it, then alphabetical order.

All curated lists live in this module, so there is one place to read and change them.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from model.registry import Asset
from schemas import normal_address

# Major assets: symbol → (CoinGecko id, names and nicknames people write for it, lower-case).
# The id is the priority rule for duplicate symbols; the names are the only free-text names the rules
# match, because the full name list is full of everyday words ("Hello", "Build", "Rock").
MAJOR_ASSETS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "BTC": ("bitcoin", ("bitcoin", "bitcoins")),
    "ETH": ("ethereum", ("ethereum", "ether", "etherium")),
    "USDT": ("tether", ("tether",)),
    "USDC": ("usd-coin", ("usd coin",)),
    "BNB": ("binancecoin", ("binance coin",)),
    "XRP": ("ripple", ("ripple",)),
    "SOL": ("solana", ("solana",)),
    "DOGE": ("dogecoin", ("dogecoin", "doge")),
    "ADA": ("cardano", ("cardano",)),
    "TRX": ("tron", ("tron",)),
    "TON": ("the-open-network", ("toncoin",)),
    "AVAX": ("avalanche-2", ("avalanche",)),
    "SHIB": ("shiba-inu", ("shiba inu", "shiba")),
    "LINK": ("chainlink", ("chainlink",)),
    "DOT": ("polkadot", ("polkadot",)),
    "BCH": ("bitcoin-cash", ("bitcoin cash",)),
    "BSV": ("bitcoin-cash-sv", ("bitcoin sv",)),
    "BTG": ("bitcoin-gold", ("bitcoin gold",)),
    "LTC": ("litecoin", ("litecoin",)),
    "XLM": ("stellar", ("stellar", "stellar lumens", "lumens")),
    "XMR": ("monero", ("monero",)),
    "ETC": ("ethereum-classic", ("ethereum classic",)),
    "ATOM": ("cosmos", ("cosmos",)),
    "NEAR": ("near", ("near protocol",)),
    "UNI": ("uniswap", ("uniswap",)),
    "APT": ("aptos", ("aptos",)),
    "SUI": ("sui", ("sui",)),
    "ARB": ("arbitrum", ("arbitrum",)),
    "OP": ("optimism", ()),
    "POL": ("polygon-ecosystem-token", ("polygon",)),
    "MATIC": ("matic-network", ("matic",)),
    "FIL": ("filecoin", ("filecoin",)),
    "ICP": ("internet-computer", ("internet computer",)),
    "HBAR": ("hedera-hashgraph", ("hedera",)),
    "VET": ("vechain", ("vechain",)),
    "ALGO": ("algorand", ("algorand",)),
    "EOS": ("eos", ()),
    "XTZ": ("tezos", ("tezos",)),
    "AAVE": ("aave", ("aave",)),
    "MKR": ("maker", ()),
    "INJ": ("injective-protocol", ("injective",)),
    "TIA": ("celestia", ("celestia",)),
    "SEI": ("sei-network", ()),
    "KAS": ("kaspa", ("kaspa",)),
    "ONDO": ("ondo-finance", ()),
    "ENA": ("ethena", ("ethena",)),
    "RUNE": ("thorchain", ("thorchain",)),
    "EGLD": ("elrond-erd-2", ("multiversx", "elrond")),
    "FTM": ("fantom", ("fantom",)),
    "S": ("sonic-3", ()),
    "ZEC": ("zcash", ("zcash",)),
    "DASH": ("dash", ()),
    "NEO": ("neo", ()),
    "IOTA": ("iota", ("iota",)),
    "XEM": ("nem", ()),
    "QTUM": ("qtum", ("qtum",)),
    "ZIL": ("zilliqa", ("zilliqa",)),
    "WAVES": ("waves", ()),
    "ONT": ("ontology", ()),
    "ICX": ("icon", ()),
    "OMG": ("omisego", ("omisego",)),
    "BAT": ("basic-attention-token", ("basic attention token",)),
    "ZRX": ("0x", ()),
    "SAND": ("the-sandbox", ()),
    "MANA": ("decentraland", ("decentraland",)),
    "AXS": ("axie-infinity", ("axie infinity",)),
    "APE": ("apecoin", ("apecoin",)),
    "GALA": ("gala", ()),
    "IMX": ("immutable-x", ()),
    "GRT": ("the-graph", ()),
    "CRV": ("curve-dao-token", ()),
    "SNX": ("havven", ("synthetix",)),
    "COMP": ("compound-governance-token", ()),
    "LDO": ("lido-dao", ()),
    "RENDER": ("render-token", ()),
    "FET": ("fetch-ai", ()),
    "AGIX": ("singularitynet", ("singularitynet",)),
    "STX": ("blockstack", ()),
    "WLD": ("worldcoin-wld", ("worldcoin",)),
    "JUP": ("jupiter-exchange-solana", ()),
    "JTO": ("jito-governance-token", ()),
    "PYTH": ("pyth-network", ()),
    "TAO": ("bittensor", ("bittensor",)),
    "PI": ("pi-network", ()),
    "WBTC": ("wrapped-bitcoin", ("wrapped bitcoin",)),
    "WETH": ("weth", ("wrapped ether",)),
    "STETH": ("staked-ether", ("lido staked ether",)),
    "DAI": ("dai", ()),
    "TUSD": ("true-usd", ("trueusd",)),
    "BUSD": ("binance-usd", ("binance usd",)),
    "FDUSD": ("first-digital-usd", ("first digital usd",)),
    "PYUSD": ("paypal-usd", ("paypal usd",)),
    "USDE": ("ethena-usde", ()),
    "CRO": ("crypto-com-chain", ()),
    "OKB": ("okb", ()),
    "LEO": ("leo-token", ()),
    "HT": ("huobi-token", ()),
    "KCS": ("kucoin-shares", ()),
    "BGB": ("bitget-token", ()),
    "MNT": ("mantle", ()),
    "XDC": ("xdce-crowd-sale", ()),
    "THETA": ("theta-token", ()),
    "FLOW": ("flow", ()),
    "CHZ": ("chiliz", ("chiliz",)),
    "KAVA": ("kava", ()),
    "ONE": ("harmony", ()),
    "CELO": ("celo", ()),
    "DGB": ("digibyte", ("digibyte",)),
    "RVN": ("ravencoin", ("ravencoin",)),
    "XVG": ("verge", ()),
    "XNO": ("nano", ()),
    "SC": ("siacoin", ("siacoin",)),
    "KMD": ("komodo", ()),
    "ZEN": ("zencash", ("horizen",)),
    "ERG": ("ergo", ()),
    "DCR": ("decred", ("decred",)),
    "LSK": ("lisk", ()),
    "STEEM": ("steem", ()),
    "HOT": ("holotoken", ()),
    "XHV": ("haven", ()),
    "LUNA": ("terra-luna-2", ()),
    "LUNC": ("terra-luna", ("terra luna classic",)),
    "1INCH": ("1inch", ()),
    "SUSHI": ("sushi", ()),
    "YFI": ("yearn-finance", ()),
    "CAKE": ("pancakeswap-token", ("pancakeswap",)),
    "PENDLE": ("pendle", ()),
    "RAY": ("raydium", ("raydium",)),
    "QNT": ("quant-network", ()),
    "AR": ("arweave", ("arweave",)),
    "HNT": ("helium", ()),
    "ORDI": ("ordinals", ()),
    "BLUR": ("blur", ()),
    "JASMY": ("jasmycoin", ("jasmycoin",)),
    "HMSTR": ("hamster-kombat", ()),
    "WLFI": ("world-liberty-financial", ()),
    "VIRTUAL": ("virtual-protocol", ()),
    "AI16Z": ("ai16z", ("ai16z",)),
    "HYPE": ("hyperliquid", ()),
    "TRUMP": ("official-trump", ()),
    # Launched after the CoinGecko snapshot; the chain is usually named rather than tickered.
    "MON": (None, ("monad",)),
    # Memecoins: their names are rarely anything else, so they match as names.
    "PEPE": ("pepe", ("pepe",)),
    "WIF": ("dogwifcoin", ("dogwifhat",)),
    "BONK": ("bonk", ("bonk",)),
    "FLOKI": ("floki", ("floki",)),
    "POPCAT": ("popcat", ("popcat",)),
    "MOODENG": ("moo-deng", ("moodeng", "moo deng")),
    "PNUT": ("peanut-the-squirrel", ()),
    "GOAT": ("goatseus-maximus", ("goatseus maximus",)),
    "SPX": ("spx6900", ("spx6900",)),
    "MEW": ("cat-in-a-dogs-world", ()),
    "NEIRO": ("neiro-3", ("neiro",)),
    "GIGA": ("gigachad-2", ("gigachad",)),
    "MOG": ("mog-coin", ("mog coin",)),
    "PENGU": ("pudgy-penguins", ()),
    "BOME": ("book-of-meme", ("book of meme",)),
    "BRETT": ("brett", ()),
    "TURBO": ("turbo", ()),
    "FARTCOIN": ("fartcoin", ("fartcoin",)),
    "DOG": ("dog-go-to-the-moon-rune", ()),
}

# Names and nicknames above that are also everyday words or people: they count only with crypto context
# ("Trump said", "DOGE" the department, "a stellar year", "Tron: Legacy", Pepe the frog).
CONTEXT_NAMES: tuple[str, ...] = (
    "doge", "stellar", "avalanche", "cosmos", "polygon", "tron", "ripple", "pepe", "bonk", "shiba",
    "ether", "iota", "sui", "lumens", "gigachad", "neiro", "injective", "helium", "monad",
)

# Tickers of real assets that are also everyday English words or common acronyms: as bare upper-case
# words (and as names) they count only with crypto context; "NEAR the station", "link in bio", "gas prices",
# DOGE the US government department.
EVERYDAY_TICKERS: tuple[str, ...] = (
    "NEAR", "ONE", "IN", "IP", "GAS", "LINK", "SAND", "APE", "SUN", "TRUMP", "AI", "OP", "MOVE", "MAGIC",
    "PORTAL", "DOGE", "DOT", "FLOW", "GALA", "HOT", "DASH", "WAVES", "ICON", "S", "PI", "AR", "SC",
    "DOG", "GOAT", "CAKE", "RAY", "LEO", "COMP", "ZEN", "BLUR", "MEW", "MOG", "SPX", "HYPE", "UNI", "ONT",
    "OMG", "BAT", "NEO", "HT", "TURBO", "BRETT", "GIGA", "VIRTUAL", "ATOM", "MANA", "RUNE", "ALGO", "AAVE",
    "TAO", "TIA", "TON", "ADA", "DAI", "MON", "SEI", "ENA", "SAFE", "MAX", "ME", "BIG", "AIR", "FUN", "LOOKS", "REAL",
    "MORE",
    # Acronyms and words: Lieutenant Colonel and long-term care (LTC), Canon EOS, TRX suspension training,
    # a war VET, "etc", sushi the food.
    "LTC", "EOS", "TRX", "VET", "ETC", "SUSHI",
)

# Stock, ETF and index tickers that crypto Twitter cashtags every day: never a crypto mention, even where
# some token list reuses the letters ($COIN is Coinbase stock, London-listed $BOO is boohoo).
STOCK_TICKERS: tuple[str, ...] = (
    "TSLA", "MSTR", "COIN", "IBIT", "FBTC", "GBTC", "ETHA", "BITO", "ARKB", "BITB", "HODL", "BRRR", "SPY",
    "QQQ", "IWM", "DIA", "VOO", "VTI", "TLT", "GLD", "SLV", "USO", "VIX", "UVXY", "SQQQ", "TQQQ", "NDX",
    "DJI", "DXY", "NVDA", "AAPL", "MSFT", "AMZN", "GOOG", "GOOGL", "META", "FB", "NFLX", "AMD", "INTC",
    "TSM", "AVGO", "ORCL", "IBM", "BABA", "NIO", "PLTR", "HOOD", "SQ", "PYPL", "MARA", "RIOT", "CLSK",
    "HUT", "BITF", "CIFR", "WULF", "IREN", "CORZ", "GME", "AMC", "BB", "NOK", "SOFI", "UBER", "LYFT",
    "DIS", "BA", "JPM", "GS", "BAC", "WFC", "C", "V", "MA", "KO", "PEP", "MCD", "WMT", "TGT", "COST",
    "XOM", "CVX", "F", "GM", "T", "VZ", "PFE", "MRNA", "JNJ", "ROKU", "SNAP", "TWTR", "SHOP", "ZM", "CRM",
    "ADBE", "SMCI", "ARM", "MU", "QCOM", "TXN", "DJT", "RDDT", "CRCL", "GLXY", "BMNR", "SBET", "BTBT",
    "SPCE", "NKLA", "LCID", "RIVN", "XLF", "XLE", "XLK", "ARKK", "SOXL", "SOXS", "SPXL", "SPXS",
    # London-listed names that collide with token symbols (the cashtag-collision corpus is full of them).
    "BOO", "LLOY", "BARC", "VOD", "BP", "RR", "TSCO", "HSBA", "AZN", "GSK", "ULVR", "BT", "IAG", "EZJ",
    "RBS", "NWG", "GLEN", "RIO", "AAL", "BLT", "SHEL", "RDSA", "RDSB", "BATS", "DGE", "PRU", "LGEN",
    "AV", "SSE", "NG", "CNA", "SBRY", "MKS", "NXT", "JD", "KGF", "ITV", "SGE", "OCDO", "ASC", "FTSE",
    "AIM", "LSE", "SMT", "III", "ADM", "AHT", "ANTO", "BDEV", "BKG", "BRBY", "CCL", "CPG", "CRH",
    "EXPN", "FERG", "FRES", "HL", "HLMA", "IHG", "IMB", "INF", "ITRK", "LAND", "MNDI", "MRO", "PSN",
    "PSON", "REL", "RKT", "RMV", "RTO", "SDR", "SGRO", "SKG", "SMDS", "SMIN", "SN", "SVT", "TW",
    "UU", "WPP", "WTB", "PMO", "SXX", "TLW", "ENQ", "CAML", "GKP", "SOU", "UKOG", "ECO", "AMER", "KOD",
    "PANR", "BLOE", "TRP", "GGP", "RRS", "HMSO", "LIO", "QPP", "AVCT",
)

# Fiat currency codes: "$USD" and "USD" are money, never an asset mention.
FIAT_CODES: tuple[str, ...] = (
    "USD", "EUR", "GBP", "JPY", "CNY", "RMB", "CNH", "KRW", "INR", "AUD", "CAD", "CHF", "HKD", "SGD",
    "TRY", "RUB", "BRL", "MXN", "NGN", "ZAR", "ARS", "IDR", "PHP", "THB", "VND", "TWD", "NZD", "SEK",
    "NOK", "DKK", "PLN", "UAH", "AED", "SAR", "ILS", "EGP", "PKR", "KES", "USDOLLAR",
)

# Upper-case words that token lists happen to use as symbols but that tweets use as words, acronyms,
# community hashtags or generic crypto vocabulary (LABELING: crypto, NFT, DeFi... are not assets); the
# everyday ones were read off the most frequent long-tail hits in the unlabeled corpora. A bare ticker from the long
# tail of the registry never counts when it is one of these; sigils ($, #) still do ("$HUGE").
NOT_TICKERS: tuple[str, ...] = (
    "CRYPTO", "NFT", "NFTS", "DEFI", "DAO", "DEX", "CEX", "ICO", "IDO", "IEO", "ETF", "ETFS", "TVL", "APY",
    "APR", "ATH", "ATL", "DCA", "HODL", "FOMO", "FUD", "GM", "GN", "WAGMI", "NGMI", "LFG", "DYOR", "NFA",
    "IMO", "IMHO", "LOL", "LMAO", "OMG", "WTF", "AMA", "CEO", "CTO", "USA", "US", "UK", "EU", "UN", "AI",
    "API", "APP", "WEB", "WEB3", "L1", "L2", "POW", "POS", "KYC", "AML", "SEC", "CFTC", "FED", "FOMC",
    "CPI", "GDP", "IPO", "OTC", "P2P", "PNL", "ROI", "RSI", "MACD", "EMA", "SMA", "TA", "FA", "TP", "SL",
    "BUY", "SELL", "LONG", "SHORT", "PUMP", "DUMP", "MOON", "BULL", "BEAR", "RUG", "SCAM", "GEM", "ALPHA",
    "KOL", "LST", "LSD", "RWA", "DEV", "DEVS", "CT", "MC", "FDV", "ATM", "OTM", "ITM", "IV", "PT", "GBX",
    "CBDC", "DLT", "ALT", "REKT", "SAFU", "BUIDL", "WSB", "FTX", "SHIBARMY", "BULLISH", "WHALE", "WHALES",
    "PROFIT", "GAINS", "EARN", "CHART", "SPOT", "SHARE", "DATA", "SMART", "SWIFT", "VISA", "IMF", "ECB",
    "ESG", "AWS", "GPU", "VR", "ML", "DD", "IOU", "AKA", "ABC", "YOLO", "FEAR", "QUICK", "STRIKE", "HANDY",
    "BOLT", "WIN", "FORM", "CLICK", "DAY", "SKY", "NEVER", "IST", "SQUAD", "MUST", "ZERO", "WATCH", "WOW",
    "TAG", "BOOM", "SOLD", "BETA", "TICKET", "TRUST", "COOL", "VIA", "LOT", "FIRE", "RICH", "BOUNTY",
    "FAST", "PRO", "KING", "GREAT", "CLOUD", "MEME", "TIP", "MEGA", "WHY", "PUSH", "PARTY", "APRIL",
    "READY", "EVERY", "DATE",
    "THE", "AND", "FOR", "YOU", "ARE", "NOT", "BUT", "ALL", "ANY", "CAN", "HAS", "HAD", "WAS", "ONE",
    "TWO", "NEW", "NOW", "GET", "GOT", "OUT", "OFF", "TOP", "BIG", "HOT", "YES", "NO", "OK", "SO", "IT",
    "IS", "AT", "ON", "OF", "TO", "BE", "BY", "DO", "GO", "HE", "IF", "MY", "OR", "UP", "WE", "AM", "PM",
    "AN", "AS", "ME", "HI", "THIS", "THAT", "WITH", "JUST", "LIKE", "LOVE", "WHAT", "WHEN", "WILL",
    "HUGE", "FREE", "LIVE", "NEWS", "BEST", "GOOD", "REAL", "TRUE", "GAME", "TIME", "MORE", "MOST", "VERY",
    "ONLY", "HERE", "SOON", "NEXT", "LAST", "BACK", "OVER", "EVER", "EVEN", "MUCH", "MAKE", "TAKE", "SEND",
    "HOLD", "LOOK", "WAIT", "STOP", "WORK", "HELP", "KEEP", "OPEN", "DONE", "FULL", "HIGH", "LOW", "RED",
    "GREEN", "GOLD", "CASH", "FUND", "BANK", "PAY", "MONEY", "COIN", "TOKEN", "CHAIN", "BLOCK", "MINT",
    "BURN", "SWAP", "STAKE", "YIELD", "VOTE", "AIRDROP", "WALLET", "BRO", "FAM", "GUYS", "OG", "GG", "RIP",
    "VIP", "DM", "RT", "FYI", "BTW", "TBH", "IRL", "ASAP", "FAQ", "PDF", "URL", "HTTP", "HTTPS", "WWW",
    "COM", "TV", "PC", "ID", "PR", "HR", "CEST", "UTC", "EST", "PST", "GMT", "JAN", "FEB", "MAR", "APR",
    "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN",
    "NBA", "NFL", "FIFA", "UFC", "BBC", "CNN", "NYSE", "NASDAQ", "SP", "Q1", "Q2", "Q3", "Q4", "YTD",
    "EOD", "EOY", "X", "A", "I", "B", "M", "K", "E", "G", "O", "P", "R", "U", "Y", "Z", "H", "W", "N",
    "D", "L", "J", "Q",
)

# Tickers distinctive enough to count in any case ("btc", "Eth"): none of them is a word in the languages
# of the stream, unlike "sol", "ada", "link", "bnb" (bed and breakfast) or "Bch" (beach). Other major tickers
# count in lower case only with crypto context, and the everyday ones never do.
CASELESS_TICKERS: tuple[str, ...] = (
    "BTC", "ETH", "USDT", "USDC", "XRP", "XMR", "XLM", "BSV", "SHIB", "AVAX", "HBAR", "WBTC", "WETH", "STETH",
    "BUSD", "FDUSD", "PYUSD",
)

# Chinese aliases (from zh_aliases.json) that are everyday words: pomelo, avalanche, ontology, horseshoe,
# Astro Boy... They count only with crypto context.
ZH_CONTEXT_ALIASES: tuple[str, ...] = (
    "本体", "柚子", "阿童木", "小蚁", "马蹄", "阿比", "佩佩", "波卡", "大索", "以太", "瑞波", "零币",
    # A flatbread and a mahjong tile before they are BTC and ETH.
    "大饼", "大餅", "二饼", "二餅",
)

# Chinese names missing from zh_aliases.json: the forms with 币 of the split coins, which would otherwise
# match as 比特币 (BTC), and the Taiwanese spelling of Ethereum.
ZH_EXTRA_ALIASES: dict[str, str] = {
    "比特币现金": "BCH", "比特幣現金": "BCH", "以太坊经典": "ETC", "以太坊經典": "ETC", "乙太坊": "ETH", "乙太幣": "ETH",
}

# Aliases left out of the shipped registry: "U" (USDT) is a single Latin letter, and 雪崩 (AVAX, literally
# "avalanche") is how Chinese crypto Twitter says "crash", so as substrings they are mostly wrong.
ZH_DROPPED_ALIASES: tuple[str, ...] = ("U", "雪崩", "雪崩协议")

_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,19}$")
_EVM_LISTS = ("lists_coingecko.json", "lists_popular.json", "lists_tokenlistooor.json")


def _symbol(raw: str) -> str | None:
    """The upper-cased symbol, or None when it is not a writable ticker (emoji, spaces, ⌘)."""
    symbol = raw.strip().upper()
    return symbol if _SYMBOL.match(symbol) else None


def _token_lists(registry: Path) -> Iterator[tuple[str, str, str]]:
    """(address, symbol, name) of every EVM and shippable Solana list entry; Solana's banned mints skipped."""
    for file in _EVM_LISTS:
        for token in json.loads((registry / "evm_tokenlists" / file).read_text())["tokens"]:
            yield normal_address(token["address"]), token["symbol"], token["name"]
    solana = registry / "solana_jupiter"
    with (solana / "banned-tokens.csv").open(newline="") as f:
        banned = {row["Mint"] for row in csv.DictReader(f)}
    for file in sorted(solana.glob("validated-tokens_*.csv")):
        with file.open(newline="") as f:
            for row in csv.DictReader(f):
                if row["Mint"] not in banned:
                    yield row["Mint"], row["Symbol"], row["Name"]


def build(shared: Path) -> Asset:
    """The registry asset as a JSON-ready dict; ``shared`` is the ``shared/data`` folder."""
    registry = shared / "registry"
    coins = json.loads(next(registry.glob("coingecko_coins_*.json")).read_text())
    entries = [(address, symbol, name) for address, raw, name in _token_lists(registry) if (symbol := _symbol(raw))]

    # How often each (symbol, name) pair appears across the token lists: the market-relevance signal.
    listed = Counter((symbol, name.casefold()) for _, symbol, name in entries)
    priority = {symbol: asset_id for symbol, (asset_id, _) in MAJOR_ASSETS.items() if asset_id}

    by_symbol: dict[str, list[dict[str, str]]] = defaultdict(list)
    for coin in coins:
        if symbol := _symbol(coin["symbol"]):
            by_symbol[symbol].append(coin)

    def rank(symbol: str, coin: dict[str, str]) -> tuple[bool, int, int, str]:
        return (coin["id"] != priority.get(symbol), -listed[symbol, coin["name"].casefold()], len(coin["id"]), coin["id"])

    symbols: dict[str, list[str]] = {symbol: [] for _, symbol, _ in entries}
    names: dict[str, tuple[tuple[bool, int, int, str], str]] = {}
    for symbol, group in by_symbol.items():
        ordered = sorted(group, key=lambda coin: rank(symbol, coin))
        symbols[symbol] = [coin["id"] for coin in ordered]
        for coin in ordered:
            key, score = coin["name"].casefold(), rank(symbol, coin)
            if key not in names or score < names[key][0]:
                names[key] = (score, symbol)
    name_map = {name: symbol for name, (_, symbol) in names.items()}
    for symbol, (_, nicknames) in MAJOR_ASSETS.items():
        symbols.setdefault(symbol, [])
        name_map.update({nickname: symbol for nickname in nicknames})

    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for address, symbol, _ in entries:
        votes[address][symbol] += 1
    contracts = {address: min(c, key=lambda s: (-c[s], s)) for address, c in votes.items()}

    aliases = json.loads((registry / "zh_aliases.json").read_text())["aliases"]
    zh = {alias: symbol for symbol, group in aliases.items() for alias in group if alias not in ZH_DROPPED_ALIASES}
    zh.update(ZH_EXTRA_ALIASES)

    return {
        "symbols": dict(sorted(symbols.items())),
        "names": dict(sorted(name_map.items())),
        "contracts": dict(sorted(contracts.items())),
        "zh": dict(sorted(zh.items())),
        "curated": {
            "major": {symbol: list(nicknames) for symbol, (_, nicknames) in MAJOR_ASSETS.items()},
            "context_names": sorted(CONTEXT_NAMES),
            "everyday_tickers": sorted(EVERYDAY_TICKERS),
            "caseless_tickers": sorted(CASELESS_TICKERS),
            "stock_tickers": sorted(STOCK_TICKERS),
            "fiat_codes": sorted(FIAT_CODES),
            "not_tickers": sorted(NOT_TICKERS),
            "zh_context_aliases": sorted(ZH_CONTEXT_ALIASES),
        },
    }


def write(asset: Asset, out: Path) -> None:
    """Write ``asset`` as compact gzip JSON; mtime 0 keeps rebuilds byte-identical."""
    out.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(asset, ensure_ascii=False, separators=(",", ":")).encode()
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="the shared/data folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "assets" / "registry.json.gz")
    args = parser.parse_args(argv)
    write(build(args.shared), args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
