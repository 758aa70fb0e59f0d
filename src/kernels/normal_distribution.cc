#include <mfdd/kernels/normal_distribution.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace mfdd::kernels
{
  namespace
  {
    constexpr double two_pi       = 2. * M_PI;
    constexpr double inv_sqrt_2pi = 0.3989422804014326779;
  } // namespace

  double
  normal_pdf(double x)
  {
    return inv_sqrt_2pi * std::exp(-0.5 * x * x);
  }

  double
  normal_cdf(double x)
  {
    return 0.5 * std::erfc(-x * M_SQRT1_2);
  }

  double
  normal_upper_tail(double x)
  {
    return 0.5 * std::erfc(x * M_SQRT1_2);
  }

  double
  bivariate_normal_upper(double h, double k, double r)
  {
    // Genz, "Numerical computation of rectangular bivariate and trivariate
    // normal and t probabilities", Statistics and Computing 14 (2004).
    if (std::isinf(h) && h > 0)
      return 0.;
    if (std::isinf(k) && k > 0)
      return 0.;
    if (std::isinf(h))
      return std::isinf(k) ? 1. : normal_upper_tail(k);
    if (std::isinf(k))
      return normal_upper_tail(h);
    if (r == 0.)
      return normal_upper_tail(h) * normal_upper_tail(k);
    r = std::clamp(r, -1., 1.);

    static const double w6[3]  = {0.1713244923791705, 0.3607615730481384, 0.4679139345726904};
    static const double x6[3]  = {0.9324695142031522, 0.6612093864662647, 0.2386191860831970};
    static const double w12[6] = {.04717533638651177, 0.1069393259953183, 0.1600783285433464,
                                  0.2031674267230659,  0.2334925365383547, 0.2491470458134029};
    static const double x12[6] = {0.9815606342467191, 0.9041172563704750, 0.7699026741943050,
                                  0.5873179542866171, 0.3678314989981802, 0.1252334085114692};
    static const double w20[10] = {.01761400713915212, .04060142980038694, .06267204833410906,
                                   .08327674157670475, 0.1019301198172404,  0.1181945319615184,
                                   0.1316886384491766, 0.1420961093183821,  0.1491729864726037,
                                   0.1527533871307259};
    static const double x20[10] = {0.9931285991850949, 0.9639719272779138, 0.9122344282513259,
                                   0.8391169718222188, 0.7463319064601508, 0.6360536807265150,
                                   0.5108670019508271, 0.3737060887154196, 0.2277858511416451,
                                   0.07652652113349733};
    const double *w, *x;
    int           lg;
    if (std::abs(r) < 0.3)
      w = w6, x = x6, lg = 3;
    else if (std::abs(r) < 0.75)
      w = w12, x = x12, lg = 6;
    else
      w = w20, x = x20, lg = 10;

    double hk  = h * k;
    double bvn = 0.;
    if (std::abs(r) < 0.925)
      {
        const double hs  = 0.5 * (h * h + k * k);
        const double asr = 0.5 * std::asin(r);
        for (int i = 0; i < lg; ++i)
          for (const double sign : {-1., 1.})
            {
              const double sn = std::sin(asr * (1. + sign * x[i]));
              bvn += w[i] * std::exp((sn * hk - hs) / (1. - sn * sn));
            }
        return bvn * asr / two_pi + normal_upper_tail(h) * normal_upper_tail(k);
      }
    if (r < 0.)
      {
        k  = -k;
        hk = -hk;
      }
    if (std::abs(r) < 1.)
      {
        const double as  = (1. - r) * (1. + r);
        double       a   = std::sqrt(as);
        const double bs  = (h - k) * (h - k);
        const double c   = (4. - hk) / 8.;
        const double d   = (12. - hk) / 80.;
        double       asr = -0.5 * (bs / as + hk);
        if (asr > -100.)
          bvn = a * std::exp(asr) * (1. - c * (bs - as) * (1. - d * bs) / 3. + c * d * as * as);
        if (hk > -100.)
          {
            const double b  = std::sqrt(bs);
            const double sp = std::sqrt(two_pi) * normal_cdf(-b / a);
            bvn -= std::exp(-0.5 * hk) * sp * b * (1. - c * bs * (1. - d * bs) / 3.);
          }
        a *= 0.5;
        double sum = 0.;
        for (int i = 0; i < lg; ++i)
          for (const double sign : {-1., 1.})
            {
              const double xs = (a * (1. + sign * x[i])) * (a * (1. + sign * x[i]));
              asr             = -0.5 * (bs / xs + hk);
              if (asr > -100.)
                {
                  const double sp = 1. + c * xs * (1. + 5. * d * xs);
                  const double rs = std::sqrt(1. - xs);
                  const double ep = std::exp(-0.5 * hk * xs / ((1. + rs) * (1. + rs))) / rs;
                  sum += w[i] * std::exp(asr) * (sp - ep);
                }
            }
        bvn = (a * sum - bvn) / two_pi;
      }
    if (r > 0.)
      bvn += normal_upper_tail(std::max(h, k));
    else if (h >= k)
      bvn = -bvn;
    else
      {
        const double L = h < 0. ? normal_cdf(k) - normal_cdf(h) : normal_cdf(-h) - normal_cdf(-k);
        bvn            = L - bvn;
      }
    return std::clamp(bvn, 0., 1.);
  }
} // namespace mfdd::kernels
