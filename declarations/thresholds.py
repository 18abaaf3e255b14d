"""Every number the plausibility checks compare against, in one table (reference/steel.md §6).

Values are per tonne of product (results are normalised by the declared unit first). The reference
calls them starting values, to be recalibrated against the registry's own data.
"""

from decimal import Decimal as D

# Relative tolerance of sum rules (P4 GWP parts, P6 energy sums, P19 A1-A3 aggregate); the absolute
# floor is one unit in the last reported digit of the total.
SUM_TOLERANCE = D("0.01")

# P2: A1-A3 GWP-total, kg CO2 eq. per tonne, carbon steel.
GWP_A1A3_ERROR_MIN_EXCLUSIVE = D("0")
GWP_A1A3_ERROR_MAX = D("10000")
GWP_A1A3_MIN_UNLESS_REUSED = D("40")
GWP_A1A3_ROUTE_BAND = {
    "bf_bof": (D("1400"), D("4000")),
    "scrap_eaf": (D("150"), D("1500")),
    "dri_eaf": (D("800"), D("2500")),
    "mixed": (D("150"), D("4000")),
}
# P3: stainless steel, whatever the route.
GWP_A1A3_STAINLESS_BAND = (D("1200"), D("7000"))

# P5: composition of GWP in A1-A3.
GWP_FOSSIL_MIN_SHARE = D("0.90")
GWP_BIOGENIC_PLUS_LULUC_MAX_SHARE = D("0.10")

# P7: ADP-fossil against PENRT, in modules where PENRT exceeds the floor (MJ per tonne).
ADP_FOSSIL_VS_PENRT_MAX_DIFF = D("0.20")
ADP_FOSSIL_VS_PENRT_MIN_PENRT = D("100")

# P8: carbon intensity of energy in A1-A3, kg CO2 eq. per MJ.
CARBON_INTENSITY_BAND = (D("0.03"), D("0.15"))

# P9: module D credit per kg of net scrap, kg CO2 eq.
MODULE_D_MAX_CREDIT_PER_KG_NET_SCRAP = D("2.0")

# P10: end-of-life mass balance, share of the declared mass.
EOL_MASS_BALANCE_TOLERANCE = D("0.05")

# P11: secondary material (kg per tonne) and recycled content (%) against the route.
SCRAP_EAF_MIN_SM = D("600")
SCRAP_EAF_MIN_RECYCLED = D("60")
BF_BOF_MAX_SM = D("400")
BF_BOF_MAX_RECYCLED = D("40")

# P12: renewable-electricity claims need renewable energy in the A1-A3 inventory.
RENEWABLE_CLAIM_MIN_PERE_SHARE = D("0.10")

# P13: indicators that may be negative (besides everything in module D).
MAY_BE_NEGATIVE = frozenset({"GWP-biogenic", "PERM", "PENRM"})

# P14: small end-of-life modules, GWP-total kg CO2 eq. per tonne.
SMALL_MODULE_MAX_GWP = {"C1": D("50"), "C2": D("60"), "C3": D("60"), "C4": D("30")}

# P15: road transport, kg CO2 eq. per tonne-kilometre.
TRANSPORT_MAX_GWP_PER_TKM = D("0.15")

# P20: EP-freshwater declared in kg PO4 eq. converts to kg P eq. by this factor (94.97 / 30.97).
PO4_PER_P = D("3.07")

# P21: validity and data age, in years.
MAX_VALIDITY_YEARS = 5
MAX_DATA_AGE_YEARS = 5
