// File I/O of the emulated kernels' drivers: u64 arrays in and out, little-endian as the tests write them.
static std::vector<u64> rd(const char *p) {
  FILE *f = fopen(p, "rb");
  if (!f) { perror(p); exit(3); }
  fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
  std::vector<u64> v(n / 8);
  if (n && fread(v.data(), 8, v.size(), f) != v.size()) exit(4);
  fclose(f);
  return v;
}
static void wr(const char *p, const std::vector<u64> &v) {
  FILE *f = fopen(p, "wb");
  if (!f) { perror(p); exit(3); }
  if (!v.empty() && fwrite(v.data(), 8, v.size(), f) != v.size()) exit(5);
  fclose(f);
}
