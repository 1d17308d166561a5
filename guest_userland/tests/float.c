// float: SSE2 and x87 floating point through the C library — printf of doubles and long
// doubles (musl formats through long double, i.e. the x87), strtod, sqrt and a little
// libm, integer/float conversions, rounding modes. Prints the formatted values: the host
// formats the same binary's values the same way, so any difference is the simulator's.
#define _GNU_SOURCE
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "guest_test.h"

// volatile keeps the compiler from folding the arithmetic at compile time.
static volatile double two = 2.0, third_num = 1.0, three = 3.0, big = 1e300, tiny = 1e-300;
static volatile long double ltwo = 2.0L;

int main(void) {
    double r2 = sqrt(two);
    printf("sqrt(2) = %.17g\n", r2);
    printf("1/3 = %g %f %e %.20f\n", third_num / three, third_num / three, third_num / three,
           third_num / three);
    printf("pi = %.15f, e = %.15f\n", 4 * atan(1.0 * third_num), exp(third_num));
    printf("big*10 = %g, tiny/1e10 = %g, -0.0 = %g\n", big * 10, tiny / 1e10, -0.0 * third_num);
    printf("nan = %f, inf = %f\n", (double)NAN * third_num, (double)INFINITY * third_num);
    printf("DBL_MAX = %g, DBL_MIN = %g, DBL_EPSILON = %a\n", DBL_MAX, DBL_MIN, DBL_EPSILON);
    printf("%%a of 0.1 = %a, %%.3a = %.3a\n", 0.1 * third_num, 0.1 * third_num);
    printf("rounding %.0f %.0f %.0f %.0f\n", 0.5 * third_num, 1.5 * third_num, 2.5 * third_num, -0.5 * third_num);
    CHECK("sqrt2_squared", fabs(r2 * r2 - 2.0) < 1e-15);
    CHECK("sqrt_exact", sqrt(144.0 * third_num) == 12.0);
    CHECK("sqrt_negative_nan", isnan(sqrt(-third_num)));

    // libm: a few functions whose results are exact or well-known.
    printf("sin(1) = %.17g, cos(1) = %.17g\n", sin(third_num), cos(third_num));
    printf("log(10) = %.17g, pow(2, 0.5) = %.17g\n", log(10 * third_num), pow(two, 0.5));
    printf("exp2(10) = %g, floor(-2.5) = %g, ceil(-2.5) = %g, fmod(7, 3) = %g\n", exp2(10 * third_num),
           floor(-2.5 * third_num), ceil(-2.5 * third_num), fmod(7 * third_num, three));
    CHECK("pow_exact", pow(two, 10.0) == 1024.0);
    CHECK("log_exp", fabs(log(exp(three)) - 3.0) < 1e-15);
    CHECK("hypot", hypot(three, 4.0) == 5.0);
    CHECK("sin_cos_identity", fabs(sin(three) * sin(three) + cos(three) * cos(three) - 1.0) < 1e-15);

    // x87: long double has a 64-bit mantissa.
    long double lr = sqrtl(ltwo);
    printf("sqrtl(2) = %.21Lg\n", lr);
    printf("1/3L = %.25Lf\n", 1.0L / (ltwo + 1.0L));
    printf("LDBL_EPSILON = %Lg\n", LDBL_EPSILON);
    CHECK("long_double_precision", (1.0L + LDBL_EPSILON * ltwo / 2.0L) != 1.0L);
    CHECK("long_double_wider", (long double)(double)(1.0L / 3.0L) != 1.0L / (ltwo + 1.0L));

    // Conversions.
    volatile double d = -123456.789;
    volatile int64_t big_int = INT64_C(9007199254740993);  // 2^53 + 1
    printf("(int)%g = %d, (long long) = %lld, (unsigned)%g = %u\n", d, (int)d, (long long)d, 3.99 * third_num,
           (unsigned)(3.99 * third_num));
    printf("(double)(2^53+1) = %.1f, (float)0.1 = %.10f\n", (double)big_int, (double)(float)(0.1 * third_num));
    printf("lrint(2.5) = %ld, llround(-2.5) = %lld, trunc(-2.7) = %g\n", lrint(2.5 * third_num),
           llround(-2.5 * third_num), trunc(-2.7 * third_num));

    // strtod round-trips.
    const char* texts[] = {"0.1", "1e23", "2.2250738585072014e-308", "4.9e-324", "123456789012345678901234567890",
                           "-0", "0x1.8p1", "inf", "1.7976931348623157e308"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        double v = strtod(texts[i], NULL);
        char back[64];
        snprintf(back, sizeof back, "%.17g", v);
        printf("strtod(%s) = %s\n", texts[i], back);
    }
    CHECK("strtod_round_trip", strtod("0.1", NULL) == 0.1);

    // Rounding modes: the x87 control word and MXCSR both follow fesetround.
    int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    const char* names[] = {"nearest", "upward", "downward", "towardzero"};
    for (int i = 0; i < 4; i++) {
        fesetround(modes[i]);
        double q = third_num / three;
        long double lq = 1.0L / (ltwo + 1.0L);
        printf("round %s: rint(2.5) = %g, rint(-2.5) = %g, 1/3 = %a, 1/3L = %La\n", names[i], rint(2.5 * third_num),
               rint(-2.5 * third_num), q, lq);
    }
    fesetround(FE_TONEAREST);
    CHECK_EQ("fegetround", fegetround(), FE_TONEAREST);

    // A small numeric kernel: sum of a harmonic-like series in a fixed order.
    double s = 0;
    for (int i = 1; i <= 10000; i++) s += 1.0 / ((double)i * i);
    printf("sum 1/i^2 (10000 terms) = %.17g\n", s);
    CHECK("series_near_pi2_6", fabs(s - M_PI * M_PI / 6) < 1e-3);
    return guest_finish("float");
}
