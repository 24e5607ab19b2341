"""Generated hard cases: the situations real corpora rarely label right and rules get wrong.

Every example is built piece by piece, so its mention spans are exact by construction
(``text[start:end]`` is the surface that was inserted). Families:

* ``crypto``      majors as cashtags, tickers, names, hashtags, lowercase tickers; long-tail cashtags
* ``amb_crypto``  everyday-word tickers used for the asset (``NEAR looks ready``, ``$ONE``, ``Chainlink``)
* ``amb_everyday`` the same words in their everyday sense (``near the station``, ``link in bio``) → no span
* ``stock``       stock/ETF cashtags (never mentions) next to crypto ones
* ``contract``    EVM and Solana addresses, with or without the token named
* ``new_token``   unknown tokens treated as tokens (``just aped $ZORBLAX``)
* ``typo``        misspelled names, odd casing
* ``zh_crypto`` / ``zh_everyday``  Chinese tweets with Chinese names / Latin tickers, and Chinese
  everyday text using words that double as coin nicknames (大饼 the flatbread, 以太网, 柚子 …)
* ``noise``       handles, URLs, prices, fiat, companies, generic crypto words → no span

Decorations (handles, URLs, emojis, generic hashtags, RT prefixes) are sprinkled on all families.
Seeded: ``generate(n, seed)`` returns the same list for the same arguments.
"""

from __future__ import annotations

import csv
import json
import random
import re
import string
from dataclasses import dataclass, field

from model.training.corpus import DATA_DIR
from schemas import contract_symbol


@dataclass
class Example:
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)  # expected symbol per span ("CA:…" for contracts)
    source: str = "synth"


# ---------------------------------------------------------------- vocabulary of the generator
# (symbol, names usable in running text). Names here are unambiguous asset names.
MAJORS: list[tuple[str, list[str]]] = [
    ("BTC", ["Bitcoin", "bitcoin", "BITCOIN", "btc"]),
    ("ETH", ["Ethereum", "ethereum", "Ether", "eth"]),
    ("SOL", ["Solana", "solana", "sol"]),
    ("DOGE", ["Dogecoin", "dogecoin", "doge", "Doge"]),
    ("XRP", ["Ripple", "xrp"]),
    ("ADA", ["Cardano", "cardano"]),
    ("SHIB", ["Shiba Inu", "shiba inu", "Shib"]),
    ("PEPE", ["Pepe", "pepe"]),
    ("AVAX", ["Avalanche", "avax"]),
    ("DOT", ["Polkadot", "polkadot"]),
    ("LINK", ["Chainlink", "chainlink"]),
    ("LTC", ["Litecoin", "litecoin"]),
    ("BNB", ["BNB", "bnb"]),
    ("TRX", ["Tron", "TRON", "tron"]),
    ("TON", ["Toncoin"]),
    ("ARB", ["Arbitrum"]),
    ("OP", ["Optimism"]),
    ("SUI", ["Sui"]),
    ("APT", ["Aptos"]),
    ("WIF", ["dogwifhat", "Dogwifhat"]),
    ("BONK", ["Bonk", "bonk"]),
    ("FARTCOIN", ["Fartcoin", "fartcoin"]),
    ("USDT", ["Tether", "tether", "usdt"]),
    ("USDC", ["usdc"]),
    ("XMR", ["Monero", "monero"]),
    ("ATOM", ["Cosmos"]),
    ("FIL", ["Filecoin"]),
    ("XLM", ["Stellar"]),
    ("HBAR", ["Hedera"]),
    ("ALGO", ["Algorand"]),
    ("TIA", ["Celestia"]),
    ("INJ", ["Injective"]),
    ("TAO", ["Bittensor"]),
    ("HYPE", ["Hyperliquid"]),
    ("KAS", ["Kaspa"]),
    ("NEAR", ["Near Protocol"]),
    ("APE", ["ApeCoin", "Apecoin"]),
    ("SAND", ["The Sandbox"]),
    ("ONE", ["Harmony ONE"]),
    ("WBTC", ["wbtc"]),
    ("BCH", ["Bitcoin Cash"]),
    ("ETC", ["Ethereum Classic"]),
    ("PNUT", ["Peanut the Squirrel"]),
    ("POPCAT", ["Popcat", "popcat"]),
]
TICKERS = [
    "BTC", "ETH", "SOL", "DOGE", "XRP", "ADA", "SHIB", "PEPE", "AVAX", "DOT", "LINK", "LTC", "BNB", "TRX",
    "TON", "ARB", "OP", "SUI", "APT", "WIF", "BONK", "FARTCOIN", "USDT", "USDC", "XMR", "ATOM", "FIL", "XLM",
    "HBAR", "ALGO", "TIA", "INJ", "TAO", "HYPE", "KAS", "SEI", "JUP", "PENDLE", "ONDO", "ENA", "AAVE", "UNI",
    "LDO", "CRV", "MKR", "RNDR", "FET", "GRT", "IMX", "STX", "RUNE", "PYTH", "JTO", "W", "STRK", "NEIRO", "PNUT",
    "MOG", "BRETT", "POPCAT", "GOAT", "TURBO", "FLOKI", "WLD", "ORDI", "SATS", "VIRTUAL", "AI16Z", "TRUMP",
    "1INCH", "WBTC", "BCH", "ETC", "ZEC", "DASH", "EOS", "NEO", "XTZ", "KAVA", "CAKE", "GMX", "DYDX", "BLUR",
    "ENS", "SNX", "COMP", "CHZ", "MANA", "AXS", "GALA", "SAND", "APE", "NEAR", "ONE", "IP", "MOVE", "ZRO",
]
# Everyday-word tickers: (symbol, crypto surfaces, everyday sentences with the word, never a mention)
AMBIGUOUS: dict[str, tuple[list[str], list[str]]] = {
    "NEAR": (["NEAR", "$NEAR", "$near", "Near Protocol", "#NEAR"], [
        "I'm near the station, one sec", "we live near the beach now", "the end is near lol",
        "any good pizza near me?", "near miss on the highway today", "Near the end of the movie I cried",
        "NEAR OR FAR WHEREVER YOU ARE", "nowhere near ready for monday"]),
    "ONE": (["$ONE", "Harmony ONE", "$one"], [
        "one of us, one of us", "ONE MORE DAY until vacation", "which one is better?", "that was one hell of a game",
        "one sec, brb", "No one asked lol", "One day I'll visit Japan", "ONE LOVE", "Piece One chapter dropped"]),
    "IN": (["$IN"], [
        "log in to see the full thread", "ALL IN on this team tonight", "I'm IN for the road trip", "IN TOO DEEP",
        "check in at 3pm", "WHO IS IN?", "stay in your lane"]),
    "IP": (["$IP", "Story Protocol [$IP]"], [
        "my IP address got banned lol", "IP lawyers are having a field day", "change your IP with a VPN",
        "the IP of the franchise is worth billions", "IP ban for spamming"]),
    "GAS": (["$GAS", "NEO [GAS]"], [
        "gas prices are insane this week", "GAS IS $5 A GALLON", "ran out of gas on the highway",
        "she is giving gas", "stepped on the gas", "gas station sushi at 2am"]),
    "LINK": (["LINK", "$LINK", "Chainlink", "$link", "#LINK", "chainlink"], [
        "link in bio", "LINK IN BIO", "click the link below", "sent you the link", "the missing link",
        "Zelda link to the past is a classic", "link up this weekend?"]),
    "SAND": (["$SAND", "The Sandbox", "SAND"], [
        "built a sand castle with the kids", "sand everywhere after the beach", "SAND IN MY SHOES",
        "sand the wood before painting", "head in the sand"]),
    "APE": (["$APE", "ApeCoin", "APE"], [
        "saw an ape at the zoo", "Planet of the Apes rewatch", "went full ape mode at the gym",
        "don't ape into things you don't understand", "the ape exhibit was closed"]),
    "SUN": (["$SUN", "[SUN] token"], [
        "the sun is out finally", "SUN IS SHINING", "Sun's out, guns out", "sun setting over the lake",
        "too much sun today", "Sunday sun and coffee"]),
    "TRUMP": (["$TRUMP", "[TRUMP] coin", "$trump", "the [TRUMP] memecoin"], [
        "Trump said the tariffs start monday", "President Trump signed the order", "Trump rally in Ohio tonight",
        "TRUMP WON", "Trump and Biden debate", "Trump's speech was long"]),
    "AI": (["$AI"], [
        "AI will replace my job lol", "AI agents are everywhere", "generative AI is wild", "the AI said no",
        "AI ART IS NOT ART", "using AI to write emails"]),
    "OP": (["$OP", "Optimism", "OP"], [
        "OP is right about this", "as OP said in the thread", "OP delivers", "this character is so OP",
        "OP pls update us", "the OP of this post deleted it"]),
    "MOVE": (["$MOVE", "Movement [$MOVE]"], [
        "we move to a new flat next week", "big MOVE coming for my career", "move fast and break things",
        "nice move by the coach"]),
    "DOGE": (["$DOGE", "Dogecoin", "doge"], [
        "Elon's DOGE cut the funding for the program", "the DOGE department report is out",
        "DOGE says it saved billions", "federal workers got a DOGE email", "DOGE staffers visited the agency"]),
    "ETH": (["$ETH", "ETH", "Ethereum"], [
        "studying at ETH Zurich next fall", "ETH Zürich published the paper", "ETH Zurich robotics lab demo"]),
    "SOL": (["$SOL", "SOL", "Solana"], [
        "tomando el sol en la playa", "el sol sale para todos", "Sol y arena en Cancun", "sol de verano"]),
    "HOT": (["$HOT"], ["HOT take: pineapple belongs on pizza", "it's so hot today", "HOT GIRL SUMMER"]),
    "GAME": (["$GAME"], ["GAME DAY!", "what a game last night", "game of thrones rewatch"]),
    "MASK": (["$MASK"], ["wear a mask indoors", "MASK OFF", "face mask routine"]),
    "ROSE": (["$ROSE"], ["a rose for my mom", "prices rose again", "ROSE GOLD iphone"]),
    "CAKE": (["$CAKE", "PancakeSwap [$CAKE]"], ["birthday cake was amazing", "piece of cake", "CAKE DAY"]),
    "MAGIC": (["$MAGIC"], ["Disney magic", "MAGIC JOHNSON", "it worked like magic"]),
    "PEOPLE": (["$PEOPLE"], ["PEOPLE ARE CRAZY", "people are so nice here"]),
    "ID": (["$ID", "SPACE ID [$ID]"], ["forgot my ID at home", "show your ID at the door"]),
    "DOT": (["$DOT", "Polkadot", "DOT"], ["connect the dot", "be there on the dot", "polka dot dress"]),
    "TON": (["$TON", "Toncoin", "TON"], ["a TON of homework", "weighs a ton", "ton of fun this weekend"]),
    "W": (["$W", "Wormhole [$W]"], ["big W for the team", "that's a W", "W in the chat"]),
    "BONK": (["$BONK", "BONK"], ["go to horny jail *bonk*"]),
    "PEPE": (["$PEPE", "PEPE"], ["Pepe the frog meme is old", "Pepe Guardiola's tactics"]),
}
AMB_CRYPTO_TEMPLATES = [
    "{A} looks ready to break out", "loaded more {A} on the dip", "{A}/USDT long, entry {P}", "{A} and {C} pumping while {T} chops",
    "bought {A} at the lows, holding", "{A} chart is so clean", "{A} breaking out 🚀", "{A} ecosystem keeps shipping",
    "{A} up 20% today, {C} following", "staking my {A} again", "who else is holding {A}?", "{A} to new highs this cycle",
    "rotating from {T} into {A}", "{A} funding rate flipped negative", "{A} 4h close above resistance",
    "shorted {A} at {P}", "{A} airdrop claim is live", "{A} 看起来要突破了", "accumulating {A} below {P}",
]
CRYPTO_TEMPLATES = [
    "{C} broke the downtrend, next {C}", "long {C} here", "{T} looks weak, rotating into {C}", "{N} just hit a new ATH",
    "{N} is eating {N}'s lunch", "{C} {C} {C} all pumping", "I'm bullish on {N} long term", "{T} dominance rising",
    "sold my {T} for {T}", "{H} {H} to the moon", "{N} fees are too high today", "{N} is down again, validators halted",
    "{T}/USDT short at {P}, tp {P}", "daily close on {T} above {P} would be huge", "{C} whales accumulating",
    "bridged my {T} to {N}", "{N} ETF flows positive again", "just swapped {T} into {C}", "{C} looks like {C} in 2021",
    "GM. {T} at {P}, {T} at {P}", "{C} 🐸🚀", "{N} holders are eating good", "aped more {C} 💎🙌", "{C} ✅ {C} ✅",
    "Top gainers: {C} {C} {C}", "{N} network upgrade next week", "{t} is going to flip {t}", "who's still holding {t}?",
    "{T} and {T} both bleeding", "{N} vs {N}, which one?", "{C} chart looks like a cup and handle", "added {T} and {T} to the bag",
    "my {N} bags are finally green", "{C} just listed on Binance", "buying {t} every week no matter what",
    "{H} is the future", "{N} season?", "bearish divergence on {T}", "{C}: send it", "{T} {P} {T} {P} {T} {P}",
]
STOCK_TEMPLATES = [
    "{S} and {S} both red, {N} too", "{S} calls printing, {C} puts too", "{S} earnings beat, {C} dumped anyway",
    "rotating out of {S} into {C}", "{S} {S} {S} all green today", "{S} shares up 5% premarket", "bought {S} calls for friday",
    "{S} is just a leveraged {T} play", "{S} holding {T} on the balance sheet", "{S} vs {C}, which performs better?",
    "my portfolio: {S}, {S}, {C}", "{S} at all time highs", "{S} inflows hit a record while {T} stalled", "{S} split announced",
    "Watching {S}, {S} and {C} this week", "{S} down 3% on the Nasdaq", "earnings season: {S} {S} {S}",
]
STOCKS = ["$TSLA", "$MSTR", "$COIN", "$IBIT", "$SPY", "$AAPL", "$NVDA", "$AMZN", "$GOOGL", "$META", "$MSFT", "$QQQ",
          "$GME", "$AMC", "$PLTR", "$HOOD", "$BOO", "$MARA", "$RIOT", "$GBTC", "$FBTC", "$AMD", "$NFLX", "$DIS", "$BABA",
          "$SQ", "$PYPL", "$SMCI", "$ARKK", "$TLT", "$DJT", "$CLSK", "$HUT", "$BITO", "$VOO", "$IWM", "$UBER", "$INTC",
          "$LLOY", "$BARC", "$VOD", "$TSCO", "$RR", "$BP", "$HSBA", "$AZN", "$GSK", "$SHEL", "$ASOS", "$SIRI", "$F", "$T"]
NEW_TEMPLATES = [
    "just aped {X}", "new coin {Y} launching on pump.fun", "{X} stealth launched, CA below", "{Y} just launched on Raydium",
    "found a gem: {X}", "{X} is the next 100x, trust", "bought a bag of {X} before the CEX listing", "{X} presale live now",
    "{Y} token launching next week on Base", "{X} community is strong 💪", "{X} just migrated to Raydium", "fair launch: {X}",
    "{X} 🚀🚀🚀 don't fade this", "{Y} coin is trending on dexscreener", "{X} up 400% since launch", "aped {X} at 200k mc",
    "新币{X}刚上线", "{X} 冲冲冲",
]
CONTRACT_TEMPLATES = [
    "CA: {A}", "CA: {A} {C}", "{C} CA {A}", "contract: {A}", "{A}", "ape here 👉 {A}", "{X} is live\nCA: {A}",
    "{C}\n\nCA: {A}\n\nLP burned", "new gem {A} dont miss it", "chart: https://dexscreener.com/solana/{A}",
]
NOISE_TEMPLATES = [
    "crypto is down again, altcoins bleeding", "memecoins are a casino", "NFT season is back?", "DeFi summer 2.0 incoming",
    "stablecoins are the killer app", "blockchain will fix this lol", "Binance listed a new pair today", "Coinbase is down again",
    "Robinhood app crashed during the pump", "{H2} {H2} {H2}", "USD is losing value", "paid $100 for this hoodie",
    "raised $5M seed round", "Kraken support is slow", "gm @elonmusk", "@binance when listing?", "thanks @coinbase for the support",
    "web3 gaming is not dead", "the market is red today", "bear market builders win", "airdrop farming all day",
    "price target $92, not financial advice", "our TVL passed $1B", "altseason when?", "HUGE news coming tomorrow",
    "THIS IS HUGE", "WE ARE SO BACK", "LFG!!!", "NGMI if you sold", "WAGMI fam", "IT'S OVER", "ATH INCOMING",
    "fees were $0.01", "EUR/USD breaking out", "gold and silver up, DXY down", "the Fed cut rates 25bps",
    "OKX and Bybit both had outages", "listing on a tier 1 CEX soon", "Solidity devs wanted", "new podcast episode out now",
]
GENERIC_HASHTAGS = ["#crypto", "#blockchain", "#DeFi", "#NFT", "#NFTs", "#altcoins", "#memecoins", "#web3", "#cryptocurrency",
                    "#trading", "#investing", "#Binance", "#airdrop", "#giveaway", "#100x", "#gem", "#bullrun"]
COIN_HASHTAGS = [("#bitcoin", "BTC"), ("#Bitcoin", "BTC"), ("#BTC", "BTC"), ("#XRP", "XRP"), ("#dogecoin", "DOGE"),
                 ("#ETH", "ETH"), ("#Ethereum", "ETH"), ("#ethereum", "ETH"), ("#Solana", "SOL"), ("#SOL", "SOL"),
                 ("#SHIB", "SHIB"), ("#Cardano", "ADA"), ("#ADA", "ADA"), ("#PEPE", "PEPE"), ("#Litecoin", "LTC"),
                 ("#XLM", "XLM"), ("#Chainlink", "LINK"), ("#BNB", "BNB"), ("#Monero", "XMR"), ("#DOGE", "DOGE")]
EMOJIS = ["🚀", "🔥", "📈", "📉", "💎", "🙌", "🐸", "👀", "💰", "✅", "⚡️", "🤝", "😂", "🌕", "🐶", "🧵", "👇", "🟢", "🔴", "❤️"]
HANDLES = ["@elonmusk", "@binance", "@cz_binance", "@VitalikButerin", "@solana", "@coinbase", "@user", "@CryptoKing",
           "@whale_alert", "@saylor", "@aeyakovenko", "@pumpdotfun", "@jup_ag", "@DegenSpartan", "@ansem"]
TYPOS = {"BTC": ["bitcon", "bitcoinn", "bitocin", "Bitcion", "BitCoin"], "ETH": ["etherium", "Etherium", "ethereun", "Etheruem"],
         "SOL": ["solona", "Solanna", "Salana"], "DOGE": ["dogecoins", "Dogecoin", "dogcoin"], "XRP": ["Ripple"],
         "ADA": ["cardona", "Cardano"], "LTC": ["litecoins", "Litcoin"], "SHIB": ["shiba", "SHIBA"], "LINK": ["chainlnk"]}
LOWER_TICKERS = ["btc", "eth", "sol", "doge", "xrp", "ada", "shib", "pepe", "link", "avax", "bnb", "ltc", "wif", "bonk",
                 "sui", "arb", "hype", "trx", "ton", "usdt", "usdc", "fartcoin"]

ZH_EVERYDAY = [
    "今天天气很好，出去走走", "早餐吃了个大饼，真香", "周末去公园散步", "这部电影太好看了", "明天要加班，好累",
    "我家狗狗今天生病了", "打麻将摸到二饼，胡了", "办公室的以太网又断了", "买了一箱柚子，很甜", "这个U盘坏了",
    "雪崩了，滑雪场关闭", "股市今天雪崩，跌了三个点", "阿童木是我小时候最喜欢的动画", "马蹄糕很好吃", "本体和分身的故事",
    "波卡圆点连衣裙很好看", "瑞波现象是物理课讲的", "小蚁搬家要下雨了", "周杰伦的新歌发布了", "地铁太挤了",
    "晚上吃火锅吗", "孩子考试考了一百分", "老板又开会了", "这家餐厅的饺子不错", "下周去上海出差",
    "新手机到了，拍照很清楚", "猫咪在睡觉", "今天跑了五公里", "U型枕头很舒服", "佩佩是我同学的名字",
    "文件夹整理好了", "恒星和行星的区别", "比特率太低，视频很糊", "以太是物理学的旧概念", "大饼油条豆浆，完美早餐",
    "看了一场足球比赛", "加密的文件打不开了", "区块链技术的论文写完了", "币圈的人都很疯狂", "山寨机现在很少见了",
]
ZH_CRYPTO_TEMPLATES = [
    "{Z}又新高了", "{Z}今天跌了好多", "{Z}yyds", "梭哈了{C}", "{T}今天暴涨，{Z}跟不上", "{Z}和{Z}都在涨", "抄底{Z}了",
    "{C}要起飞了🚀", "{Z}什么时候到十万", "{T}合约爆仓了", "看好{Z}，长期持有", "{Z}跌破支撑，小心", "今天买了点{T}",
    "{Z}生态越来越好", "{C}和{C}哪个更好", "{Z}减半之后会涨吗", "{Z}突破了，{T}也在跟", "我的{Z}终于回本了",
    "{T}现货买入，{T}做空", "大家怎么看{C}", "{Z}的手续费太高了", "{Z}ETF通过了", "{T} 今晚要突破", "卖了{Z}换{Z}",
    "{Z}到底还能不能涨", "{C} 这波拉盘很猛", "牛市来了，{Z}先涨", "{Z}，{Z}，{Z}，都是好币", "{T}链上数据很好",
]
ZH_ALIAS_FALLBACK = {"BTC": ["比特币", "大饼"], "ETH": ["以太坊", "姨太"], "DOGE": ["狗狗币"]}


def _load_zh_aliases() -> dict[str, list[str]]:
    try:
        raw = json.loads((DATA_DIR / "registry" / "zh_aliases.json").read_text())["aliases"]
    except OSError:
        return ZH_ALIAS_FALLBACK
    # "U" for USDT is only a mention in trading context: not generated as a positive.
    return {sym: [a for a in names if a != "U"] for sym, names in raw.items()}


def _load_evm(limit: int = 400) -> list[tuple[str, str]]:
    try:
        toks = json.loads((DATA_DIR / "registry" / "evm_tokenlists" / "lists_popular.json").read_text())["tokens"]
    except OSError:
        return []
    out = [(t["address"], t["symbol"].upper()) for t in toks if re.fullmatch(r"[A-Za-z0-9]{2,10}", t.get("symbol", ""))]
    return out[:limit]


def _load_solana(limit: int = 400) -> list[tuple[str, str]]:
    path = DATA_DIR / "registry" / "solana_jupiter" / "validated-tokens_HEAD_2025-04-21.csv"
    out = []
    try:
        with path.open() as f:
            for row in csv.DictReader(f):
                if re.fullmatch(r"[A-Za-z0-9]{2,10}", row.get("Symbol", "")):
                    out.append((row["Mint"], row["Symbol"].upper()))
                if len(out) >= limit:
                    break
    except OSError:
        pass
    return out


def _load_longtail(limit: int = 1500) -> list[str]:
    try:
        coins = json.loads((DATA_DIR / "registry" / "coingecko_coins_2025-03-31.json").read_text())
    except OSError:
        return []
    syms = sorted({c["symbol"].upper() for c in coins if re.fullmatch(r"[a-z][a-z0-9]{2,6}", c.get("symbol", ""))})
    stock_like = {s[1:] for s in STOCKS}
    return [s for s in syms if s not in stock_like][:: max(1, len(syms) // limit)]


class _Builder:
    def __init__(self) -> None:
        self.text = ""
        self.spans: list[tuple[int, int]] = []
        self.symbols: list[str] = []

    def add(self, s: str) -> None:
        self.text += s

    def mention(self, s: str, symbol: str) -> None:
        self.spans.append((len(self.text), len(self.text) + len(s)))
        self.symbols.append(symbol)
        self.text += s


class Generator:
    """Seeded generator of hard cases."""

    FAMILIES = {  # family: weight
        "crypto": 16, "amb_crypto": 12, "amb_everyday": 12, "stock": 8, "contract": 5, "new_token": 8,
        "typo": 5, "zh_crypto": 10, "zh_everyday": 5, "noise": 8,
    }
    # ``rich``: more and longer Chinese tweets, two-clause crypto tweets, shouted everyday text.
    # Written after the shipped adapter was trained; not yet measured (see MODEL_CARD.md).
    RICH_WEIGHTS = {"zh_crypto": 16, "zh_everyday": 7}

    def __init__(self, seed: int = 13, rich: bool = False) -> None:
        self.rng = random.Random(seed)
        self.rich = rich
        if rich:
            self.FAMILIES = {**self.FAMILIES, **self.RICH_WEIGHTS}
        self.zh = _load_zh_aliases()
        self.evm = _load_evm()
        self.sol = _load_solana()
        self.longtail = _load_longtail()

    # --- slot fillers: return (surface, symbol or None)
    def _major(self) -> tuple[str, str]:
        sym, names = self.rng.choice(MAJORS)
        return self.rng.choice(names), sym

    def _cash(self) -> tuple[str, str]:
        r = self.rng.random()
        if r < 0.25 and self.longtail:
            sym = self.rng.choice(self.longtail)
        else:
            sym = self.rng.choice(TICKERS)
        surface = "$" + (sym.lower() if self.rng.random() < 0.12 else sym)
        return surface, sym

    def _ticker(self) -> tuple[str, str]:
        sym = self.rng.choice(TICKERS[:60])
        return sym, sym

    def _lower_ticker(self) -> tuple[str, str]:
        t = self.rng.choice(LOWER_TICKERS)
        return t, t.upper()

    def _hashtag(self) -> tuple[str, str]:
        return self.rng.choice(COIN_HASHTAGS)

    def _zh_name(self) -> tuple[str, str]:
        sym = self.rng.choice(list(self.zh))
        return self.rng.choice(self.zh[sym]), sym

    def _new_name(self) -> str:
        cons, vows = "bcdfghjklmnprstvwxz", "aeiou"
        n = self.rng.choice([2, 2, 3, 3, 4])
        name = "".join(self.rng.choice(cons) + self.rng.choice(vows) for _ in range(n))
        if self.rng.random() < 0.4:
            name += self.rng.choice(cons)
        return name.upper()[: self.rng.choice([4, 5, 6, 7, 8])]

    def _price(self) -> str:
        r = self.rng.random()
        if r < 0.3:
            return f"{self.rng.uniform(0.1, 100):.2f}"
        if r < 0.6:
            return f"${self.rng.randint(1, 120)}k"
        if r < 0.8:
            return f"{self.rng.uniform(0.00001, 0.01):.5f}"
        return f"${self.rng.randint(1, 999)}"

    def _fill(self, b: _Builder, template: str, slots: dict) -> None:
        pos = 0
        for m in re.finditer(r"\{(\w+)\}", template):
            b.add(template[pos : m.start()])
            surface, sym = slots[m.group(1)]()
            if sym is None:
                b.add(surface)
            elif "[" in surface:  # "Story Protocol [$IP]": only the bracketed part is the mention
                pre, rest = surface.split("[", 1)
                inner, post = rest.split("]", 1)
                b.add(pre)
                b.mention(inner, sym)
                b.add(post)
            else:
                b.mention(surface, sym)
            pos = m.end()
        b.add(template[pos:])

    def _common_slots(self) -> dict:
        return {
            "C": self._cash,
            "T": lambda: self._ticker() if self.rng.random() < 0.85 else self._lower_ticker(),
            "t": self._lower_ticker,
            "N": self._major,
            "H": self._hashtag,
            "H2": lambda: (self.rng.choice(GENERIC_HASHTAGS), None),
            "P": lambda: (self._price(), None),
            "S": lambda: (self.rng.choice(STOCKS), None),
            "Z": self._zh_name,
        }

    # --- families
    def crypto(self, b: _Builder) -> None:
        self._fill(b, self.rng.choice(CRYPTO_TEMPLATES), self._common_slots())
        if self.rich and self.rng.random() < 0.25:  # longer tweets with more mentions
            b.add(self.rng.choice([". ", "\n\n", " - "]))
            self._fill(b, self.rng.choice(CRYPTO_TEMPLATES), self._common_slots())

    def amb_crypto(self, b: _Builder) -> None:
        sym = self.rng.choice([s for s in AMBIGUOUS if AMBIGUOUS[s][0]])
        slots = self._common_slots()
        slots["A"] = lambda: (self.rng.choice(AMBIGUOUS[sym][0]), sym)
        self._fill(b, self.rng.choice(AMB_CRYPTO_TEMPLATES), slots)

    def amb_everyday(self, b: _Builder) -> None:
        sym = self.rng.choice(list(AMBIGUOUS))
        text = self.rng.choice(AMBIGUOUS[sym][1])
        b.add(text.upper() if self.rich and self.rng.random() < 0.2 else text)  # shouting is not a ticker

    def stock(self, b: _Builder) -> None:
        self._fill(b, self.rng.choice(STOCK_TEMPLATES), self._common_slots())

    def contract(self, b: _Builder) -> None:
        slots = self._common_slots()
        r = self.rng.random()
        if r < 0.35 and self.evm:
            addr, sym = self.rng.choice(self.evm)
        elif r < 0.6 and self.sol:
            addr, sym = self.rng.choice(self.sol)
        elif r < 0.8:
            addr, sym = "0x" + "".join(self.rng.choice("0123456789abcdefABCDEF") for _ in range(40)), None
        else:
            b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
            addr, sym = "".join(self.rng.choice(b58) for _ in range(40)) + "pump", None
        ca = contract_symbol(addr)
        template = self.rng.choice(CONTRACT_TEMPLATES)
        named = sym if sym and self.rng.random() < 0.5 else self._new_name()
        slots["A"] = lambda: (addr, ca)
        slots["C"] = lambda: ("$" + named, named)
        slots["X"] = lambda: ("$" + named, named)
        self._fill(b, template, slots)

    def new_token(self, b: _Builder) -> None:
        slots = self._common_slots()
        name = self._new_name()
        slots["X"] = lambda: ("$" + (name if self.rng.random() < 0.85 else name.lower()), name)
        slots["Y"] = lambda: (name, name)
        self._fill(b, self.rng.choice(NEW_TEMPLATES), slots)

    def typo(self, b: _Builder) -> None:
        slots = self._common_slots()
        sym = self.rng.choice(list(TYPOS))
        slots["N"] = lambda: (self.rng.choice(TYPOS[sym]), sym)
        slots["T"] = self._lower_ticker
        self._fill(b, self.rng.choice(CRYPTO_TEMPLATES[:20]), slots)

    def zh_crypto(self, b: _Builder) -> None:
        self._fill(b, self.rng.choice(ZH_CRYPTO_TEMPLATES), self._common_slots())
        for _ in range(self.rng.choice([0, 0, 1, 1, 2]) if self.rich else 0):  # longer Chinese tweets, several clauses
            b.add(self.rng.choice(["，", "。", "！", " ", "\n"]))
            if self.rng.random() < 0.3:
                b.add(self.rng.choice(ZH_EVERYDAY))
            else:
                self._fill(b, self.rng.choice(ZH_CRYPTO_TEMPLATES), self._common_slots())

    def zh_everyday(self, b: _Builder) -> None:
        b.add(self.rng.choice(ZH_EVERYDAY))

    def noise(self, b: _Builder) -> None:
        t = self.rng.choice(NOISE_TEMPLATES)
        if self.rich and "{" not in t and self.rng.random() < 0.3:
            t = t.upper()  # "BLOCKCHAIN WILL FIX THIS": shouting, not tickers
        self._fill(b, t, self._common_slots())

    # --- decorations: never mentions (except coin hashtags, which are recorded)
    def _decorate(self, family: str, b: _Builder) -> _Builder:
        rng = self.rng
        out = _Builder()
        r = rng.random()
        if r < 0.12:
            out.add(f"RT {rng.choice(HANDLES)}: ")
        elif r < 0.25:
            out.add(" ".join(rng.sample(HANDLES, rng.randint(1, 2))) + " ")
        shift = len(out.text)
        out.text += b.text
        out.spans = [(s + shift, e + shift) for s, e in b.spans]
        out.symbols = list(b.symbols)
        if rng.random() < 0.3:
            out.add(" " + "".join(rng.choice(EMOJIS) for _ in range(rng.randint(1, 3))))
        if rng.random() < 0.15 and not family.startswith("zh"):
            out.add(" " + " ".join(rng.sample(GENERIC_HASHTAGS, rng.randint(1, 3))))
        if rng.random() < 0.06 and family in ("crypto", "amb_crypto"):
            tag, sym = self._hashtag()
            out.add(" ")
            out.mention(tag, sym)
        if rng.random() < 0.3:
            slug = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(10))
            out.add(f" https://t.co/{slug}")
        return out

    def one(self) -> Example:
        families = list(self.FAMILIES)
        family = self.rng.choices(families, weights=[self.FAMILIES[f] for f in families])[0]
        b = _Builder()
        getattr(self, family)(b)
        b = self._decorate(family, b)
        return Example(b.text, b.spans, b.symbols, f"synth:{family}")


def generate(n: int, seed: int = 13, rich: bool = False) -> list[Example]:
    """``n`` distinct generated examples (deterministic for a seed)."""
    gen = Generator(seed, rich)
    seen: set[str] = set()
    out: list[Example] = []
    tries = 0
    while len(out) < n and tries < n * 20:
        tries += 1
        ex = gen.one()
        if ex.text in seen:
            continue
        seen.add(ex.text)
        out.append(ex)
    return out


def registry_cjk_chars() -> set[str]:
    """CJK characters of the registry's Chinese aliases (for the vocabulary extension)."""
    chars: set[str] = set()
    for names in _load_zh_aliases().values():
        for n in names:
            chars.update(c for c in n if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff")
    try:
        zb = json.loads((DATA_DIR / "registry" / "zh_zb_exchange_names_2019.json").read_text())["entries"]
        for e in zb:
            chars.update(c for c in e.get("name_zh", "") if "\u3400" <= c <= "\u9fff")
    except OSError:
        pass
    return chars
