"""What the sandbox companies sell and buy: products with VAT rates and cost items per account.

Prices are in öre (or euro cents for export lines) and describe one unit; quantities are drawn
within the given range. Weights make 25 % VAT dominate, as it does in a Swedish services company.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Product(NamedTuple):
    """A line a sandbox company puts on customer invoices."""

    description: str
    account: int
    vat_percent: int
    min_price: int
    max_price: int
    max_quantity: int
    weight: int


class CostItem(NamedTuple):
    """A cost a supplier invoices, booked on one BAS cost account with its input VAT rate."""

    description: str
    account: int
    vat_percent: int
    min_net: int
    max_net: int


DOMESTIC_PRODUCTS: Final[tuple[Product, ...]] = (
    Product("Konsulttimmar", 3041, 25, 85_000, 145_000, 40, 30),
    Product("Projektledning", 3041, 25, 110_000, 160_000, 16, 12),
    Product("Supportavtal, månadsavgift", 3041, 25, 150_000, 900_000, 1, 10),
    Product("Licens, årsabonnemang", 3001, 25, 400_000, 2_500_000, 3, 8),
    Product("Hårdvara och tillbehör", 3001, 25, 50_000, 1_500_000, 6, 8),
    Product("Förbrukningsmaterial", 3001, 25, 2_000, 40_000, 30, 6),
    Product("Konferenslunch", 3002, 12, 9_500, 18_500, 30, 5),
    Product("Kaffe och fikabröd", 3002, 12, 3_500, 7_500, 30, 3),
    Product("Kurslitteratur", 3003, 6, 25_000, 89_000, 12, 4),
    Product("Utbildningsmaterial, e-bok", 3003, 6, 15_000, 45_000, 20, 2),
)

EXPORT_PRODUCTS: Final[tuple[Product, ...]] = (
    Product("Consulting services", 3308, 0, 9_000, 14_000, 40, 6),
    Product("Software licence, annual", 3308, 0, 50_000, 300_000, 3, 2),
    Product("Support agreement, monthly", 3308, 0, 20_000, 90_000, 1, 2),
)

COST_ITEMS: Final[tuple[CostItem, ...]] = (
    CostItem("Inköp material och varor", 4010, 25, 200_000, 4_000_000),
    CostItem("Förbrukningsinventarier", 5410, 25, 50_000, 1_500_000),
    CostItem("Programvarulicenser", 5420, 25, 20_000, 600_000),
    CostItem("Förbrukningsmaterial", 5460, 25, 10_000, 300_000),
    CostItem("Drivmedel", 5611, 25, 30_000, 250_000),
    CostItem("Tågresor och flyg", 5800, 6, 50_000, 800_000),
    CostItem("Annonsering", 5910, 25, 100_000, 1_500_000),
    CostItem("Kundlunch", 6071, 12, 40_000, 300_000),
    CostItem("Kontorsmaterial", 6110, 25, 10_000, 200_000),
    CostItem("Mobilabonnemang", 6212, 25, 30_000, 400_000),
    CostItem("Bredband och datakommunikation", 6230, 25, 40_000, 500_000),
    CostItem("Postbefordran", 6250, 25, 5_000, 80_000),
    CostItem("Företagsförsäkring", 6310, 0, 200_000, 2_000_000),
    CostItem("Revisionsarvode", 6420, 25, 500_000, 3_000_000),
    CostItem("Redovisningstjänster", 6530, 25, 200_000, 1_500_000),
    CostItem("IT-drift och hosting", 6540, 25, 100_000, 2_500_000),
    CostItem("Städning", 5060, 25, 80_000, 600_000),
)

RENT: Final = CostItem("Lokalhyra", 5010, 25, 0, 0)

# Cost accounts a correction may move a row to (never 1510/2440 or VAT accounts).
CORRECTION_ACCOUNTS: Final[dict[int, tuple[int, ...]]] = {
    3001: (3041,),
    3041: (3001,),
    4010: (5460, 5410),
    5410: (5420, 5460, 6110),
    5420: (6540, 5410),
    5460: (6110, 5410),
    5611: (5800,),
    5800: (6071, 5611),
    5910: (6990,),
    6071: (7690, 6990),
    6110: (5460,),
    6212: (6230,),
    6230: (6212, 6540),
    6250: (6990,),
    6310: (6990,),
    6420: (6530,),
    6530: (6420,),
    6540: (6230, 5420),
    5060: (6990,),
    5010: (6990,),
    7010: (7210,),
    7210: (7010,),
}
