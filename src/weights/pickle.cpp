#include "weights/pickle.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace ck::pickle {

namespace {

using Kind = Value::Kind;

ValuePtr make(Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

// The only globals a state dict needs. Storage types map to their element dtypes.
const std::map<std::string, DType>& storage_types() {
  static const std::map<std::string, DType> m{{"torch.FloatStorage", DType::F32},
                                              {"torch.HalfStorage", DType::F16},
                                              {"torch.BFloat16Storage", DType::BF16},
                                              {"torch.LongStorage", DType::I64}};
  return m;
}

const std::set<std::string>& callable_globals() {
  static const std::set<std::string> s{"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                       "torch._utils._rebuild_parameter",
                                       "torch._utils._rebuild_parameter_with_state"};
  return s;
}

// Storage types PyTorch knows but this engine does not load: recognised so the error is precise.
bool is_other_storage_type(const std::string& name) {
  return name.rfind("torch.", 0) == 0 && name.size() > 13 && name.compare(name.size() - 7, 7, "Storage") == 0;
}

class Unpickler {
 public:
  // Every container slot comes from at least one opcode byte, except where OrderedDict copies
  // a list's pairs: a few slots per byte is generous for real pickles, and stops a small file
  // from copying one large list over and over.
  Unpickler(std::string_view bytes, const std::string& where)
      : p_(bytes), where_(where), slot_budget_(4 * bytes.size() + 4096) {}

  Result<ValuePtr> run() {
    while (true) {
      if (pos_ >= p_.size()) return fail("ends without a STOP opcode (truncated?)");
      const auto op = static_cast<uint8_t>(p_[pos_++]);
      if (op == '.') {
        if (stack_.size() != 1) return fail("leaves ", stack_.size(), " values on the stack at STOP");
        return stack_.back();
      }
      CK_TRY(step(op));
    }
  }

 private:
  template <class... Parts>
  Error fail(const Parts&... parts) const {
    return err(ErrorCode::kFormat, where_, ": pickle ", parts..., " (at byte ", pos_, ")");
  }

  Status need(size_t n) const {
    if (p_.size() - pos_ < n) return fail("is truncated");
    return ok_status();
  }
  template <class T>
  Result<T> read_le() {
    CK_TRY(need(sizeof(T)));
    T v;
    std::memcpy(&v, p_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  Result<std::string> read_bytes(uint64_t n) {
    CK_TRY(need(n));
    std::string s(p_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  Result<std::string> read_line() {
    const size_t nl = p_.find('\n', pos_);
    if (nl == std::string_view::npos) return fail("has an unterminated GLOBAL");
    std::string s(p_.substr(pos_, nl - pos_));
    pos_ = nl + 1;
    return s;
  }

  Result<ValuePtr> pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) return fail("pops an empty stack");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Result<std::vector<ValuePtr>> pop_to_mark() {
    if (marks_.empty()) return fail("uses a MARK that was never set");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  Result<ValuePtr> top() {
    if (stack_.empty()) return fail("reads an empty stack");
    return stack_.back();
  }

  void push(ValuePtr v) { stack_.push_back(std::move(v)); }

  Status push_global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!callable_globals().count(full) && !storage_types().count(full) && !is_other_storage_type(full)) {
      return fail("references '", full,
                  "', which a state dict never needs; refusing to load it (nothing was executed)");
    }
    auto g = make(Kind::kGlobal);
    g->s = full;
    push(g);
    return ok_status();
  }

  // Puts `item` inside `container` (a new one or one being filled). Items are sealed from
  // then on; nesting depth and total slots are bounded here, in one place.
  Status adopt(const ValuePtr& container, const ValuePtr& item) {
    if (item == container) return fail("puts a container inside itself (a reference cycle); refusing it");
    if (++slots_ > slot_budget_) return fail("holds more container items than its size allows; refusing it");
    item->member = true;
    container->depth = std::max(container->depth, item->depth + 1);
    if (container->depth > kMaxNesting) return fail("nests containers more than ", kMaxNesting, " deep; refusing it");
    return ok_status();
  }
  Result<ValuePtr> make_container(Kind k, const std::vector<ValuePtr>& items) {
    auto c = make(k);
    for (const auto& item : items) CK_TRY(adopt(c, item));
    c->items = items;
    return c;
  }

  Status add_items(const ValuePtr& target, const std::vector<ValuePtr>& items, bool pairs) {
    if (target->member) {
      return fail("changes a container already inside another (a reference cycle or shared mutation); refusing it");
    }
    for (const auto& item : items) CK_TRY(adopt(target, item));
    if (pairs) {
      if (target->kind != Kind::kDict) return fail("sets items on a non-dict");
      if (items.size() % 2) return fail("has an odd SETITEMS list");
      for (size_t i = 0; i < items.size(); i += 2) target->dict.emplace_back(items[i], items[i + 1]);
    } else {
      if (target->kind != Kind::kList) return fail("appends to a non-list");
      target->items.insert(target->items.end(), items.begin(), items.end());
    }
    return ok_status();
  }

  static Result<std::vector<int64_t>> int_tuple(const ValuePtr& v) {
    std::vector<int64_t> out;
    if (v->kind != Kind::kTuple && v->kind != Kind::kList) return err(ErrorCode::kFormat, "expected a tuple of ints");
    for (const auto& x : v->items) {
      if (x->kind != Kind::kInt) return err(ErrorCode::kFormat, "expected a tuple of ints");
      out.push_back(x->i);
    }
    return out;
  }

  // Applies one of the whitelisted callables to its argument tuple.
  Result<ValuePtr> call(const ValuePtr& fn, const ValuePtr& args) {
    if (fn->kind != Kind::kGlobal || !callable_globals().count(fn->s)) {
      return fail("calls something that is not an allowed constructor");
    }
    if (args->kind != Kind::kTuple) return fail("calls ", fn->s, " without an argument tuple");
    const auto& a = args->items;
    if (fn->s == "collections.OrderedDict") {
      auto d = make(Kind::kDict);
      if (!a.empty() && a[0]->kind == Kind::kList) {
        for (const auto& pair : a[0]->items) {
          if (pair->kind != Kind::kTuple && pair->kind != Kind::kList) return fail("builds an OrderedDict from non-pairs");
          if (pair->items.size() != 2) return fail("builds an OrderedDict from non-pairs");
          CK_TRY(adopt(d, pair->items[0]));
          CK_TRY(adopt(d, pair->items[1]));
          d->dict.emplace_back(pair->items[0], pair->items[1]);
        }
      }
      return d;
    }
    if (fn->s == "torch._utils._rebuild_tensor_v2") {
      if (a.size() < 4 || a[0]->kind != Kind::kStorage || a[1]->kind != Kind::kInt) {
        return fail("calls _rebuild_tensor_v2 with unexpected arguments");
      }
      auto t = make(Kind::kTensor);
      t->tensor = a[0]->tensor;
      t->tensor.offset = a[1]->i;
      auto size = int_tuple(a[2]);
      auto stride = int_tuple(a[3]);
      if (!size.ok() || !stride.ok() || size->size() != stride->size()) {
        return fail("calls _rebuild_tensor_v2 with a malformed size/stride");
      }
      t->tensor.size = *size;
      t->tensor.stride = *stride;
      return t;
    }
    // _rebuild_parameter(data, requires_grad, hooks[, state]): the parameter is its data.
    if (a.empty() || a[0]->kind != Kind::kTensor) return fail("calls ", fn->s, " without a tensor");
    return a[0];
  }

  Result<ValuePtr> persistent_load(const ValuePtr& pid) {
    // ('storage', storage_type, key, location, numel)
    if (pid->kind != Kind::kTuple || pid->items.size() < 5 || pid->items[0]->kind != Kind::kString ||
        pid->items[0]->s != "storage" || pid->items[1]->kind != Kind::kGlobal ||
        pid->items[2]->kind != Kind::kString || pid->items[4]->kind != Kind::kInt) {
      return fail("has a persistent id that is not a PyTorch storage reference");
    }
    const auto it = storage_types().find(pid->items[1]->s);
    if (it == storage_types().end()) {
      return fail("stores a tensor as ", pid->items[1]->s, "; only float32, float16, bfloat16 and int64 are read");
    }
    auto s = make(Kind::kStorage);
    s->tensor.storage_key = pid->items[2]->s;
    s->tensor.dtype = it->second;
    s->tensor.storage_numel = pid->items[4]->i;
    return s;
  }

  Status step(uint8_t op) {
    switch (op) {
      case 0x80: return need(1).ok() ? (++pos_, ok_status()) : need(1);  // PROTO
      case 0x95: {                                                       // FRAME
        CK_ASSIGN(auto n, read_le<uint64_t>());
        (void)n;
        return ok_status();
      }
      case '(': marks_.push_back(stack_.size()); return ok_status();  // MARK
      case '}': push(make(Kind::kDict)); return ok_status();
      case ']': push(make(Kind::kList)); return ok_status();
      case ')': push(make(Kind::kTuple)); return ok_status();
      case 'N': push(make(Kind::kNone)); return ok_status();
      case 0x88:
      case 0x89: {
        auto v = make(Kind::kBool);
        v->b = op == 0x88;
        push(v);
        return ok_status();
      }
      case 'J': return push_int(read_le<int32_t>());
      case 'K': return push_int(read_le<uint8_t>());
      case 'M': return push_int(read_le<uint16_t>());
      case 0x8a: {  // LONG1: little-endian two's complement of n bytes
        CK_ASSIGN(uint8_t n, read_le<uint8_t>());
        if (n > 8) return fail("has an integer wider than 64 bits");
        CK_ASSIGN(std::string b, read_bytes(n));
        uint64_t u = 0;
        for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
        if (n > 0 && n < 8 && (static_cast<uint8_t>(b[n - 1]) & 0x80)) u |= ~0ull << (8 * n);
        auto v = make(Kind::kInt);
        v->i = static_cast<int64_t>(u);
        push(v);
        return ok_status();
      }
      case 'G': {  // BINFLOAT: big-endian double
        CK_ASSIGN(uint64_t be, read_le<uint64_t>());
        const uint64_t le = __builtin_bswap64(be);
        auto v = make(Kind::kFloat);
        std::memcpy(&v->f, &le, 8);
        push(v);
        return ok_status();
      }
      case 'X': {
        CK_ASSIGN(uint32_t n, read_le<uint32_t>());
        return push_string(Kind::kString, n);
      }
      case 0x8c: {
        CK_ASSIGN(uint8_t n, read_le<uint8_t>());
        return push_string(Kind::kString, n);
      }
      case 0x8d: {
        CK_ASSIGN(uint64_t n, read_le<uint64_t>());
        return push_string(Kind::kString, n);
      }
      case 'B':
      case 'T': {
        CK_ASSIGN(uint32_t n, read_le<uint32_t>());
        return push_string(Kind::kBytes, n);
      }
      case 'C':
      case 'U': {
        CK_ASSIGN(uint8_t n, read_le<uint8_t>());
        return push_string(Kind::kBytes, n);
      }
      case 'q': {
        CK_ASSIGN(uint8_t idx, read_le<uint8_t>());
        return memo_put(idx);
      }
      case 'r': {
        CK_ASSIGN(uint32_t idx, read_le<uint32_t>());
        return memo_put(idx);
      }
      case 0x94: return memo_put(static_cast<uint32_t>(memo_.size()));  // MEMOIZE
      case 'h': {
        CK_ASSIGN(uint8_t idx, read_le<uint8_t>());
        return memo_get(idx);
      }
      case 'j': {
        CK_ASSIGN(uint32_t idx, read_le<uint32_t>());
        return memo_get(idx);
      }
      case 't': {  // TUPLE
        CK_ASSIGN(auto items, pop_to_mark());
        CK_ASSIGN(ValuePtr t, make_container(Kind::kTuple, items));
        push(t);
        return ok_status();
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        std::vector<ValuePtr> items(op - 0x84u);
        for (size_t i = items.size(); i-- > 0;) {
          CK_ASSIGN(items[i], pop());
        }
        CK_ASSIGN(ValuePtr t, make_container(Kind::kTuple, items));
        push(t);
        return ok_status();
      }
      case 'l':
      case 'd': {  // LIST / DICT from the marked items
        CK_ASSIGN(auto items, pop_to_mark());
        auto c = make(op == 'l' ? Kind::kList : Kind::kDict);
        CK_TRY(add_items(c, items, op == 'd'));
        push(c);
        return ok_status();
      }
      case 's': {  // SETITEM
        CK_ASSIGN(ValuePtr v, pop());
        CK_ASSIGN(ValuePtr k, pop());
        CK_ASSIGN(ValuePtr d, top());
        return add_items(d, {k, v}, true);
      }
      case 'u':
      case 'e': {  // SETITEMS / APPENDS
        CK_ASSIGN(auto items, pop_to_mark());
        CK_ASSIGN(ValuePtr target, top());
        return add_items(target, items, op == 'u');
      }
      case 'a': {  // APPEND
        CK_ASSIGN(ValuePtr v, pop());
        CK_ASSIGN(ValuePtr l, top());
        return add_items(l, {v}, false);
      }
      case '0': return pop().ok() ? ok_status() : Status(fail("pops an empty stack"));
      case '2': {
        CK_ASSIGN(ValuePtr v, top());
        push(v);
        return ok_status();
      }
      case '1': {
        CK_ASSIGN(auto items, pop_to_mark());
        return ok_status();
      }
      case 'c': {  // GLOBAL "module\nname\n"
        CK_ASSIGN(std::string module, read_line());
        CK_ASSIGN(std::string name, read_line());
        return push_global(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        CK_ASSIGN(ValuePtr name, pop());
        CK_ASSIGN(ValuePtr module, pop());
        if (name->kind != Kind::kString || module->kind != Kind::kString) return fail("has a malformed STACK_GLOBAL");
        return push_global(module->s, name->s);
      }
      case 'R': {  // REDUCE
        CK_ASSIGN(ValuePtr args, pop());
        CK_ASSIGN(ValuePtr fn, pop());
        CK_ASSIGN(ValuePtr v, call(fn, args));
        push(v);
        return ok_status();
      }
      case 'b': {  // BUILD: object state (OrderedDict metadata, parameter state) is not needed
        CK_ASSIGN(ValuePtr state, pop());
        CK_ASSIGN(ValuePtr obj, top());
        if (obj->kind != Kind::kDict && obj->kind != Kind::kTensor) return fail("sets state on an unexpected object");
        return ok_status();
      }
      case 'Q': {  // BINPERSID
        CK_ASSIGN(ValuePtr pid, pop());
        CK_ASSIGN(ValuePtr s, persistent_load(pid));
        push(s);
        return ok_status();
      }
      default: break;
    }
    return fail("uses opcode 0x", hex(op), ", which a state dict never needs; refusing to load it");
  }

  static std::string hex(uint8_t op) {
    const char* d = "0123456789abcdef";
    return {d[op >> 4], d[op & 15]};
  }

  template <class T>
  Status push_int(Result<T> r) {
    if (!r.ok()) return r.error();
    auto v = make(Kind::kInt);
    v->i = static_cast<int64_t>(r.value());
    push(v);
    return ok_status();
  }
  Status push_string(Kind k, uint64_t n) {
    CK_ASSIGN(std::string s, read_bytes(n));
    auto v = make(k);
    v->s = std::move(s);
    push(v);
    return ok_status();
  }
  Status memo_put(uint32_t idx) {
    CK_ASSIGN(ValuePtr v, top());
    memo_[idx] = v;
    return ok_status();
  }
  Status memo_get(uint32_t idx) {
    const auto it = memo_.find(idx);
    if (it == memo_.end()) return fail("reads memo slot ", idx, " that was never written");
    push(it->second);
    return ok_status();
  }

  std::string_view p_;
  const std::string& where_;
  size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint32_t, ValuePtr> memo_;
  size_t slots_ = 0;
  size_t slot_budget_;
};

}  // namespace

Result<ValuePtr> unpickle(std::string_view bytes, const std::string& where) { return Unpickler(bytes, where).run(); }

}  // namespace ck::pickle
