"""A synthetic firehose: realistic crypto and everyday tweets from N accounts, reproducible by seed.

About half the tweets mention tokens the way people do (cashtags, names, Chinese nicknames,
tickers that are everyday words); the rest are ordinary posts, some using those same words in
their everyday sense, so the extractor is exercised on both.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count

from schemas import Tweet

# (symbol, names people write) for coins the firehose talks about.
_COINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("BTC", ("Bitcoin", "bitcoin", "比特币", "大饼")),
    ("ETH", ("Ethereum", "ethereum", "以太坊", "姨太")),
    ("SOL", ("Solana", "solana")),
    ("DOGE", ("Dogecoin", "doge", "狗狗币")),
    ("XRP", ("XRP", "Ripple")),
    ("PEPE", ("Pepe", "pepe")),
    ("LINK", ("Chainlink",)),
    ("ADA", ("Cardano",)),
    ("AVAX", ("Avalanche",)),
    ("SHIB", ("Shiba Inu",)),
    ("WIF", ("dogwifhat",)),
    ("BNB", ("BNB",)),
)

_CRYPTO = (
    "${a} looking strong here, adding more on this dip",
    "just aped into ${a} and ${b}, let's see 🚀",
    "{name_a} breaking out while ${b} chops. patience.",
    "${a} to the moon? chart says yes. NFA",
    "rotating from ${b} into ${a}, {name_a} season is close",
    "{name_a} ETF flows were huge today",
    "longed ${a} at the open, stop below yesterday's low",
    "${a} ${b} ${c} — my whole bag for this cycle",
    "今天{zh}又涨了, ${a} 冲",
    "who else is holding ${a} through this? 💎🙌",
    "NEAR and $ONE pumping while ${a} chops",
    "gas fees on Ethereum are wild today, ${a} holders don't care",
)

_EVERYDAY = (
    "I'm near the station, one sec",
    "gas prices are crazy this week",
    "link in bio for the full video!",
    "one of the best concerts I've been to",
    "log in to see the new update",
    "coffee first, then emails. the usual monday",
    "can't believe the game went to overtime 🏀",
    "new blog post about sourdough is up",
    "the sun is finally out, beach time ☀️",
    "$TSLA earnings call tonight, popcorn ready",
    "just finished a 10k run, legs are gone",
    "anyone know a good sushi place near downtown?",
)


@dataclass(frozen=True)
class Firehose:
    """``accounts``: how many synthetic authors; ``crypto_share``: fraction of tweets about tokens;
    ``run``: part of every tweet id, so a rerun is not deduplicated as a replay of the last one."""

    accounts: int = 50
    crypto_share: float = 0.5
    seed: int = 7
    run: str = "0"
    id_prefix: str = "synth"

    def handles(self) -> list[str]:
        """The authors' handles, ``synth_000`` …"""
        return [f"{self.id_prefix}_{i:03d}" for i in range(self.accounts)]

    def tweets(self, n: int | None = None) -> Iterator[Tweet]:
        """``n`` tweets (endless if None), stamped with the time they are generated."""
        rng = random.Random(self.seed)
        handles = self.handles()
        for i in count():
            if n is not None and i >= n:
                return
            now = datetime.now(timezone.utc)
            yield Tweet(
                id=f"{self.id_prefix}:{self.run}:{self.seed}:{i}",
                author=rng.choice(handles),
                text=self._text(rng),
                created_at=now,
                source="firehose",
                ingested_at=now,
            )

    def _text(self, rng: random.Random) -> str:
        if rng.random() >= self.crypto_share:
            return rng.choice(_EVERYDAY)
        (a, names), (b, _), (c, _) = rng.sample(_COINS, 3)
        zh = next((x for x in names if not x.isascii()), "比特币")
        return rng.choice(_CRYPTO).format(a=a, b=b, c=c, name_a=rng.choice(names), zh=zh)
