// A small std::expected-style result: a value or a module's error enum.
// Why not std::expected: clang 14 (our libFuzzer compiler) cannot use libstdc++'s <expected>.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace periscope {

template <class E>
struct Unexpected {
    E error;
};

template <class E>
Unexpected<E> fail(E error) {
    return Unexpected<E>{error};
}

template <class T, class E>
class [[nodiscard]] Result {
  public:
    Result(T value) : m_value(std::in_place_index<0>, std::move(value)) {}         // NOLINT
    Result(Unexpected<E> error) : m_value(std::in_place_index<1>, error.error) {}  // NOLINT

    bool has_value() const { return m_value.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(m_value);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(m_value);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(m_value));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    E error() const {
        assert(!has_value());
        return std::get<1>(m_value);
    }

  private:
    std::variant<T, E> m_value;
};

template <class E>
class [[nodiscard]] Result<void, E> {
  public:
    Result() = default;
    Result(Unexpected<E> error) : m_ok(false), m_error(error.error) {}  // NOLINT

    bool has_value() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    E error() const {
        assert(!m_ok);
        return m_error;
    }

  private:
    bool m_ok = true;
    E m_error{};
};

}  // namespace periscope
