/* The bayesopt suite's functions (bo_functions.py) as a small C program, so that a command
   objective costs a millisecond instead of a Python start-up:  bo_eval NAME V1 V2 ...
   (values in the order of the space; categoricals as their names). The harness re-evaluates
   every point a run reports with the Python definitions and notes any difference, so the two
   implementations are checked against each other on every benchmark run. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static double sq(double v) { return v * v; }

static double levy(const double* x, int d) {
  double w[16];
  for (int i = 0; i < d; ++i) w[i] = 1 + (x[i] - 1) / 4;
  double s = sq(sin(PI * w[0]));
  for (int i = 0; i < d - 1; ++i) s += sq(w[i] - 1) * (1 + 10 * sq(sin(PI * w[i] + 1)));
  return s + sq(w[d - 1] - 1) * (1 + sq(sin(2 * PI * w[d - 1])));
}
static double rastrigin(const double* x, int d) {
  double s = 10.0 * d;
  for (int i = 0; i < d; ++i) s += x[i] * x[i] - 10 * cos(2 * PI * x[i]);
  return s;
}
static double styblinski_tang(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i) s += pow(x[i], 4) - 16 * x[i] * x[i] + 5 * x[i];
  return 0.5 * s;
}
static double dixon_price(const double* x, int d) {
  double s = sq(x[0] - 1);
  for (int i = 1; i < d; ++i) s += (i + 1) * sq(2 * x[i] * x[i] - x[i - 1]);
  return s;
}
static double griewank(const double* x, int d) {
  double s = 0, p = 1;
  for (int i = 0; i < d; ++i) {
    s += x[i] * x[i] / 4000;
    p *= cos(x[i] / sqrt(i + 1.0));
  }
  return s - p + 1;
}
static double zakharov(const double* x, int d) {
  double s1 = 0, s2 = 0;
  for (int i = 0; i < d; ++i) {
    s1 += x[i] * x[i];
    s2 += 0.5 * (i + 1) * x[i];
  }
  return s1 + pow(s2, 2) + pow(s2, 4);
}
static double sum_powers(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i) s += pow(fabs(x[i]), i + 2);
  return s;
}
static double rot_hyper_ellipsoid(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i)
    for (int j = 0; j <= i; ++j) s += x[j] * x[j];
  return s;
}
static double ackley(const double* x, int d) {
  double s1 = 0, s2 = 0;
  for (int i = 0; i < d; ++i) {
    s1 += x[i] * x[i];
    s2 += cos(2 * PI * x[i]);
  }
  return -20 * exp(-0.2 * sqrt(s1 / d)) - exp(s2 / d) + 20 + exp(1.0);
}
static double rosenbrock(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d - 1; ++i) s += 100 * sq(x[i + 1] - x[i] * x[i]) + sq(1 - x[i]);
  return s;
}
static double trid(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i) s += sq(x[i] - 1);
  for (int i = 1; i < d; ++i) s -= x[i] * x[i - 1];
  return s;
}
static double michalewicz(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i) s -= sin(x[i]) * pow(sin((i + 1) * x[i] * x[i] / PI), 20);
  return s;
}
static double schwefel(const double* x, int d) {
  double s = 418.9829 * d;
  for (int i = 0; i < d; ++i) s -= x[i] * sin(sqrt(fabs(x[i])));
  return s;
}
static double powell(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d; i += 4)
    s += sq(x[i] + 10 * x[i + 1]) + 5 * sq(x[i + 2] - x[i + 3]) + pow(x[i + 1] - 2 * x[i + 2], 4) +
         10 * pow(x[i] - x[i + 3], 4);
  return s;
}
static const double BB_OPT[5] = {1.3, -2.1, 0.7, 3.2, -0.4};
static const double BB_V[5] = {0.5, -1.0, 2.0, 0.3, -1.5};
static void bb_rotate(const double* x, double* z) {
  double vv = 0, dot = 0;
  for (int i = 0; i < 5; ++i) {
    z[i] = x[i] - BB_OPT[i];
    vv += BB_V[i] * BB_V[i];
  }
  for (int i = 0; i < 5; ++i) dot += BB_V[i] * z[i];
  for (int i = 0; i < 5; ++i) z[i] -= 2 * dot / vv * BB_V[i];
}
static double bbob_ellipsoid(const double* x, int d) {
  double z[5], s = 0;
  bb_rotate(x, z);
  for (int i = 0; i < d; ++i) s += pow(10, 6.0 * i / (d - 1)) * z[i] * z[i];
  return s;
}
static double step_ellipsoid(const double* x, int d) {
  double z[5], s = 0;
  bb_rotate(x, z);
  for (int i = 0; i < d; ++i) s += pow(10, 2.0 * i / (d - 1)) * sq(floor(fabs(z[i]) * 2 + 0.5));
  return s;
}
static const double ALPHA[4] = {1.0, 1.2, 3.0, 3.2};
static double hartmann3(const double* x) {
  static const double A[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
  static const double P[4][3] = {
      {0.3689, 0.1170, 0.2673}, {0.4699, 0.4387, 0.7470}, {0.1091, 0.8732, 0.5547}, {0.03815, 0.5743, 0.8828}};
  double s = 0;
  for (int i = 0; i < 4; ++i) {
    double in = 0;
    for (int j = 0; j < 3; ++j) in += A[i][j] * sq(x[j] - P[i][j]);
    s -= ALPHA[i] * exp(-in);
  }
  return s;
}
static double hartmann6(const double* x) {
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double s = 0;
  for (int i = 0; i < 4; ++i) {
    double in = 0;
    for (int j = 0; j < 6; ++j) in += A[i][j] * sq(x[j] - P[i][j]);
    s -= ALPHA[i] * exp(-in);
  }
  return s;
}
static double shekel10(const double* x) {
  static const double B[10] = {0.1, 0.2, 0.2, 0.4, 0.4, 0.6, 0.3, 0.7, 0.5, 0.5};
  static const double C[4][10] = {{4, 1, 8, 6, 3, 2, 5, 8, 6, 7},
                                  {4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6},
                                  {4, 1, 8, 6, 3, 2, 5, 8, 6, 7},
                                  {4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6}};
  double s = 0;
  for (int i = 0; i < 10; ++i) {
    double in = B[i];
    for (int j = 0; j < 4; ++j) in += sq(x[j] - C[j][i]);
    s -= 1 / in;
  }
  return s;
}
static double branin(const double* x) {
  const double b = 5.1 / (4 * PI * PI), c = 5 / PI, t = 1 / (8 * PI);
  return sq(x[1] - b * x[0] * x[0] + c * x[0] - 6) + 10 * (1 - t) * cos(x[0]) + 10;
}
static double mixed_hpo(const double* x) {
  /* lr, layers, units, optimizer (sgd, adam, rmsprop), dropout */
  static const double LR[3] = {-1.5, -3.0, -3.5}, FLOOR[3] = {0.1, 0.0, 0.05};
  const int o = (int)x[3];
  const double u = log10(x[0]) - LR[o], d = x[4] - 0.25;
  return FLOOR[o] + 0.3 * u * u + 0.1 * u * d + 0.8 * d * d + 0.05 * (1 - cos(2 * PI * u)) +
         0.02 * sq(x[1] - 4) + 0.05 * sq(log2(x[2]) - 7);
}
static double mixed_cat_ackley(const double* x) {
  static const double S[4][3] = {{1.0, -1.0, 0.5}, {-2.0, 2.0, 0.0}, {0.0, 0.0, -3.0}, {2.5, 1.5, 2.0}};
  static const double OFF[4] = {0.0, 0.4, 0.8, 0.2};
  const int c = (int)x[3];
  double z[3];
  for (int i = 0; i < 3; ++i) z[i] = x[i] - S[c][i];
  return ackley(z, 3) + OFF[c] + 0.1 * fabs(x[4] - 3);
}

/* Noise: a fixed function of the point, identical to bo_functions.py's: FNV-1a 64 over the
   name and the little-endian bytes of every value as a double (categoricals as their index),
   SplitMix64, Box-Muller. */
static uint64_t fnv(uint64_t h, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}
static uint64_t splitmix(uint64_t* s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static double noise(const char* name, const double* x, int n, double sd) {
  uint64_t h = fnv(0xcbf29ce484222325ULL, (const unsigned char*)name, strlen(name));
  for (int i = 0; i < n; ++i) {
    unsigned char b[8];
    uint64_t bits;
    memcpy(&bits, &x[i], 8);
    for (int k = 0; k < 8; ++k) b[k] = (unsigned char)(bits >> (8 * k));
    h = fnv(h, b, 8);
  }
  uint64_t s = h;
  const double u1 = ((splitmix(&s) >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = (splitmix(&s) >> 11) * 0x1.0p-53;
  return sd * sqrt(-2 * log(u1)) * cos(2 * PI * u2);
}

static int cat(const char* v, const char* const* names, int n) {
  for (int i = 0; i < n; ++i)
    if (strcmp(v, names[i]) == 0) return i;
  fprintf(stderr, "bo_eval: unknown category %s\n", v);
  exit(2);
}

/* The value of function `f` at the point given as strings (the space's order); exits with 2 on
   an unknown function or category. */
double bo_eval(const char* f, int n, char** values) {
  char** argv = values - 2; /* the code below reads argv[2 + i] */
  double x[16];
  static const char* const OPT[3] = {"sgd", "adam", "rmsprop"};
  static const char* const BASIN[4] = {"a", "b", "c", "d"};
  for (int i = 0; i < n && i < 16; ++i) {
    if (strncmp(f, "mixed_hpo", 9) == 0 && i == 3) x[i] = cat(argv[2 + i], OPT, 3);
    else if (strcmp(f, "mixed_cat_ackley") == 0 && i == 3) x[i] = cat(argv[2 + i], BASIN, 4);
    else x[i] = strtod(argv[2 + i], NULL);
  }
  double v;
  if (!strcmp(f, "sixhump"))
    v = (4 - 2.1 * x[0] * x[0] + pow(x[0], 4) / 3) * x[0] * x[0] + x[0] * x[1] + (-4 + 4 * x[1] * x[1]) * x[1] * x[1];
  else if (!strcmp(f, "hartmann3")) v = hartmann3(x);
  else if (!strcmp(f, "shekel10")) v = shekel10(x);
  else if (!strcmp(f, "trid10")) v = trid(x, 10);
  else if (!strcmp(f, "styblinski_tang5")) v = styblinski_tang(x, 5);
  else if (!strcmp(f, "goldstein_price")) {
    const double a = 1 + sq(x[0] + x[1] + 1) * (19 - 14 * x[0] + 3 * x[0] * x[0] - 14 * x[1] + 6 * x[0] * x[1] + 3 * x[1] * x[1]);
    const double b = 30 + sq(2 * x[0] - 3 * x[1]) * (18 - 32 * x[0] + 12 * x[0] * x[0] + 48 * x[1] - 36 * x[0] * x[1] + 27 * x[1] * x[1]);
    v = a * b;
  } else if (!strcmp(f, "beale"))
    v = sq(1.5 - x[0] + x[0] * x[1]) + sq(2.25 - x[0] + x[0] * x[1] * x[1]) + sq(2.625 - x[0] + x[0] * pow(x[1], 3));
  else if (!strcmp(f, "colville"))
    v = 100 * sq(x[0] * x[0] - x[1]) + sq(x[0] - 1) + sq(x[2] - 1) + 90 * sq(x[2] * x[2] - x[3]) +
        10.1 * (sq(x[1] - 1) + sq(x[3] - 1)) + 19.8 * (x[1] - 1) * (x[3] - 1);
  else if (!strcmp(f, "powell4")) v = powell(x, 4);
  else if (!strcmp(f, "zakharov6")) v = zakharov(x, 6);
  else if (!strcmp(f, "dixon_price5")) v = dixon_price(x, 5);
  else if (!strcmp(f, "rotated_ellipsoid6")) v = rot_hyper_ellipsoid(x, 6);
  else if (!strcmp(f, "bbob_ellipsoid5")) v = bbob_ellipsoid(x, 5);
  else if (!strcmp(f, "sum_powers6")) v = sum_powers(x, 6);
  else if (!strcmp(f, "dropwave")) {
    const double r2 = x[0] * x[0] + x[1] * x[1];
    v = -(1 + cos(12 * sqrt(r2))) / (0.5 * r2 + 2);
  } else if (!strcmp(f, "michalewicz5")) v = michalewicz(x, 5);
  else if (!strcmp(f, "schwefel3")) v = schwefel(x, 3);
  else if (!strcmp(f, "levy5")) v = levy(x, 5);
  else if (!strcmp(f, "rastrigin4")) v = rastrigin(x, 4);
  else if (!strcmp(f, "griewank5")) v = griewank(x, 5);
  else if (!strcmp(f, "step_ellipsoid5")) v = step_ellipsoid(x, 5);
  else if (!strcmp(f, "mixed_levy_int")) v = levy(x, 4);
  else if (!strcmp(f, "mixed_rosen_int")) v = rosenbrock(x, 4);
  else if (!strcmp(f, "mixed_hpo")) v = mixed_hpo(x);
  else if (!strcmp(f, "mixed_cat_ackley")) v = mixed_cat_ackley(x);
  else if (!strcmp(f, "branin_noisy")) v = branin(x) + noise(f, x, n, 1.0);
  else if (!strcmp(f, "hartmann6_noisy")) v = hartmann6(x) + noise(f, x, n, 0.1);
  else if (!strcmp(f, "mixed_hpo_noisy")) v = mixed_hpo(x) + noise(f, x, n, 0.05);
  else {
    fprintf(stderr, "bo_eval: unknown function %s\n", f);
    exit(2);
  }
  return v;
}

#ifndef BO_EVAL_NO_MAIN
int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bo_eval NAME VALUES...\n");
    return 2;
  }
  printf("%.17g\n", bo_eval(argv[1], argc - 2, argv + 2));
  return 0;
}
#endif
