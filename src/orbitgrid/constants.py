"""Physical constants in SI units, with their sources."""

# WGS84 (NIMA TR8350.2)
EARTH_RADIUS_M = 6_378_137.0            # equatorial radius
EARTH_FLATTENING = 1.0 / 298.257223563
EARTH_ECCENTRICITY_SQ = EARTH_FLATTENING * (2.0 - EARTH_FLATTENING)
MU_EARTH_M3_S2 = 3.986004418e14
EARTH_ROTATION_RAD_S = 7.2921150e-5

# EGM2008 unnormalised J2
J2 = 1.08262668e-3

# IAU 2012 astronomical unit, IAU 2015 nominal solar radius
AU_M = 149_597_870_700.0
SUN_RADIUS_M = 6.957e8

SPEED_OF_LIGHT_M_S = 299_792_458.0
SECONDS_PER_DAY = 86_400.0
# Rate of the mean Sun in right ascension: 360 deg per tropical year (365.2422 d)
MEAN_SUN_RATE_RAD_S = 2.0 * 3.141592653589793 / (365.2421897 * SECONDS_PER_DAY)
