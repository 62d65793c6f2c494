// Rewrites a CUDA source (kernels/*.cu) into C++ for the emulated runtime (include/), keeping
// every line where it was (errors and __LINE__ point into the .cu file):
//   name<<<grid, block, shared, stream>>>(args)
//       -> ::emu::Launch(grid, block, shared, stream).at("name", __FILE__, __LINE__).run(name, args)
//   __shared__ [__align__(n)] T a[N][M], b;
//       -> one per-block slot per variable: auto& a = ::emu::SharedRef<T[N][M]>::at(::emu::shared_slot(...));
//   extern __shared__ [__align__(n)] T a[];
//       -> T* a = static_cast<T*>(::emu::dynamic_shared(n));
//   a non-template __global__ function definition
//       -> followed by a KernelRegistration, so that graph kernel nodes can name it by address
// Comments, string and character literals are left alone. Plain C++ (g++ builds it first):
//   emu_transform in.cu out.cpp
// Checked by building libpvll_cuda_emulated.so from every kernels/*.cu (CMakeLists.txt).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {
std::string src;
size_t line_at(size_t pos) {
  size_t line = 1;
  for (size_t i = 0; i < pos && i < src.size(); ++i) line += src[i] == '\n';
  return line;
}

[[noreturn]] void die(size_t pos, const std::string& what) {
  std::cerr << "emu_transform: line " << line_at(pos) << ": " << what << "\n";
  std::exit(2);
}

bool ident(char c) { return std::isalnum((unsigned char)c) || c == '_'; }

/** Marks every character that is code (not inside a comment or a literal). */
std::vector<bool> code_mask() {
  std::vector<bool> code(src.size(), true);
  for (size_t i = 0; i < src.size();) {
    if (src.compare(i, 2, "//") == 0) {
      while (i < src.size() && src[i] != '\n') code[i++] = false;
    } else if (src.compare(i, 2, "/*") == 0) {
      const size_t end = src.find("*/", i + 2);
      const size_t stop = end == std::string::npos ? src.size() : end + 2;
      while (i < stop) code[i++] = false;
    } else if (src[i] == '"' || src[i] == '\'') {
      const char q = src[i];
      code[i++] = false;
      while (i < src.size() && src[i] != q) {
        if (src[i] == '\\') code[i++] = false;
        code[i++] = false;
      }
      if (i < src.size()) code[i++] = false;
    } else {
      ++i;
    }
  }
  return code;
}

/** Index of the bracket closing the one at open (same kind), skipping non-code. */
size_t matching(const std::vector<bool>& code, size_t open) {
  const char o = src[open], c = o == '(' ? ')' : (o == '[' ? ']' : (o == '{' ? '}' : '>'));
  int depth = 0;
  for (size_t i = open; i < src.size(); ++i) {
    if (!code[i]) continue;
    if (src[i] == o) ++depth;
    if (src[i] == c && --depth == 0) return i;
  }
  die(open, std::string("no matching '") + c + "'");
}

size_t skip_space(size_t i) {
  while (i < src.size() && std::isspace((unsigned char)src[i])) ++i;
  return i;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace((unsigned char)s[a])) ++a;
  while (b > a && std::isspace((unsigned char)s[b - 1])) --b;
  return s.substr(a, b - a);
}

std::string newlines_of(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c == '\n') out += '\n';
  return out;
}

bool word_at(const std::vector<bool>& code, size_t i, const std::string& w) {
  return code[i] && src.compare(i, w.size(), w) == 0 && (i == 0 || !ident(src[i - 1])) &&
         (i + w.size() >= src.size() || !ident(src[i + w.size()]));
}

struct Edit {
  size_t begin, end;
  std::string text;
};

/** name<<<config>>>(args) */
void launches(const std::vector<bool>& code, std::vector<Edit>* edits) {
  for (size_t at = src.find("<<<"); at != std::string::npos; at = src.find("<<<", at + 3)) {
    if (!code[at]) continue;
    size_t start = at;
    while (start > 0 && std::isspace((unsigned char)src[start - 1])) --start;
    if (start > 0 && src[start - 1] == '>') {  // template arguments: back to their '<'
      int depth = 0;
      size_t i = start - 1;
      for (;; --i) {
        if (src[i] == '>') ++depth;
        if (src[i] == '<' && --depth == 0) break;
        if (i == 0) die(at, "unbalanced template arguments before <<<");
      }
      start = i;
    }
    while (start > 0 && (ident(src[start - 1]) || src[start - 1] == ':')) --start;
    const std::string name = trim(src.substr(start, at - start));
    if (name.empty()) die(at, "a launch without a kernel name");
    const size_t close = src.find(">>>", at);
    if (close == std::string::npos) die(at, "<<< without >>>");
    const std::string config = src.substr(at + 3, close - at - 3);
    const size_t open = skip_space(close + 3);
    if (open >= src.size() || src[open] != '(') die(at, "no argument list after >>>");
    const size_t end = matching(code, open);
    const std::string args = src.substr(open + 1, end - open - 1);
    std::string quoted;
    for (char c : name)
      if (!std::isspace((unsigned char)c)) quoted += c;
    edits->push_back({start, end + 1,
                      "::emu::Launch(" + config + ").at(\"" + quoted + "\", __FILE__, __LINE__).run(" + name +
                          (trim(args).empty() ? "" : ", " + args) + ")" + newlines_of(src.substr(start, at - start)) +
                          newlines_of(src.substr(close + 3, open - close - 3))});
  }
}

/** The declarators of "T a[N], b" split at top-level commas. */
std::vector<std::string> declarators(const std::string& s) {
  std::vector<std::string> out;
  int depth = 0;
  size_t from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '(' || c == '[' || c == '<') ++depth;
    if (c == ')' || c == ']' || c == '>') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(s.substr(from, i - from)));
      from = i + 1;
    }
  }
  out.push_back(trim(s.substr(from)));
  return out;
}

/** Splits "T name[dims]" (type given) or "name[dims]" into name and dims. */
void name_and_dims(const std::string& d, std::string* before, std::string* name, std::string* dims) {
  const size_t bracket = d.find('[');
  const std::string head = trim(d.substr(0, bracket));
  *dims = bracket == std::string::npos ? "" : trim(d.substr(bracket));
  size_t i = head.size();
  while (i > 0 && ident(head[i - 1])) --i;
  *name = head.substr(i);
  *before = trim(head.substr(0, i));
}

void shared_declarations(const std::vector<bool>& code, std::vector<Edit>* edits) {
  for (size_t at = src.find("__shared__"); at != std::string::npos; at = src.find("__shared__", at + 10)) {
    if (!word_at(code, at, "__shared__")) continue;
    size_t begin = at, p = at + 10;
    bool dynamic = false;
    size_t back = at;
    while (back > 0 && std::isspace((unsigned char)src[back - 1])) --back;
    if (back >= 6 && src.compare(back - 6, 6, "extern") == 0) {
      dynamic = true;
      begin = back - 6;
    }
    p = skip_space(p);
    std::string align;
    if (src.compare(p, 9, "__align__") == 0) {
      const size_t open = src.find('(', p);
      const size_t close = matching(code, open);
      align = trim(src.substr(open + 1, close - open - 1));
      p = close + 1;
    }
    const size_t semi = src.find(';', p);
    if (semi == std::string::npos) die(at, "__shared__ declaration without ';'");
    const std::string body = src.substr(p, semi - p);
    const std::vector<std::string> decls = declarators(body);
    std::string type, out;
    const size_t line = line_at(at);
    for (size_t k = 0; k < decls.size(); ++k) {
      std::string before, name, dims;
      name_and_dims(decls[k], &before, &name, &dims);
      if (k == 0) type = before;
      if (type.empty() || name.empty()) die(at, "cannot read the __shared__ declaration '" + trim(body) + "'");
      if (dynamic) {
        if (dims != "[]") die(at, "extern __shared__ must be an array of unknown size");
        out += type + "* " + name + " = static_cast<" + type + "*>(::emu::dynamic_shared(" +
               (align.empty() ? "alignof(" + type + ")" : align) + "));";
        continue;
      }
      const std::string full = type + " " + dims, tag = "emu_shared_tag_" + name + "_" + std::to_string(line);
      out += "static const char " + tag + " = 0; auto& " + name + " = ::emu::SharedRef<" + full +
             ">::at(::emu::shared_slot(&" + tag + ", sizeof(" + full + "), " +
             (align.empty() ? "alignof(" + full + ")" : align) + ", \"" + name + "\"));";
    }
    edits->push_back({begin, semi + 1, out + newlines_of(src.substr(begin, semi + 1 - begin))});
  }
}

/** A registration after each non-template __global__ function definition. */
void registrations(const std::vector<bool>& code, std::vector<Edit>* edits) {
  for (size_t at = src.find("__global__"); at != std::string::npos; at = src.find("__global__", at + 10)) {
    if (!word_at(code, at, "__global__")) continue;
    size_t back = at;
    while (back > 0 && (std::isspace((unsigned char)src[back - 1]) || !code[back - 1])) --back;
    if (back > 0 && src[back - 1] == '>') continue;  // template <...> __global__: instantiated where launched
    std::string name;
    size_t p = at + 10;
    for (;;) {
      p = skip_space(p);
      if (p >= src.size()) die(at, "__global__ without a function");
      if (src[p] == '(') break;
      if (ident(src[p])) {
        const size_t s = p;
        while (p < src.size() && ident(src[p])) ++p;
        const std::string word = src.substr(s, p - s);
        if (word == "__launch_bounds__") {
          p = matching(code, src.find('(', p)) + 1;
          continue;
        }
        name = word;
        continue;
      }
      ++p;  // '*', '&', ':' and the like
    }
    const size_t params_end = matching(code, p);
    const size_t next = skip_space(params_end + 1);
    if (next >= src.size() || src[next] != '{') continue;  // a declaration
    const size_t body_end = matching(code, next);
    edits->push_back({body_end + 1, body_end + 1,
                      " static ::emu::KernelRegistration emu_registration_" + name + "_" +
                          std::to_string(line_at(at)) + "(" + name + ", \"" + name + "\");"});
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: emu_transform in.cu out.cpp\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "emu_transform: cannot read " << argv[1] << "\n";
    return 2;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  src = buffer.str();
  const std::vector<bool> code = code_mask();
  std::vector<Edit> edits;
  launches(code, &edits);
  shared_declarations(code, &edits);
  registrations(code, &edits);
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out = "#line 1 \"" + std::string(argv[1]) + "\"\n";
  size_t at = 0;
  for (const Edit& e : edits) {
    if (e.begin < at) die(e.begin, "overlapping rewrites");
    out += src.substr(at, e.begin - at) + e.text;
    at = e.end;
  }
  out += src.substr(at);
  std::ofstream o(argv[2], std::ios::binary);
  o << out;
  return o ? 0 : 2;
}
