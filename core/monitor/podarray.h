// PodArray: a growable array of trivially copyable values in one malloc'd
// block, for the key browser's big arrays.
//
// std::vector grows by allocating a new block, copying every element and
// freeing the old one: at ten million keys that is hundreds of megabytes
// copied and page-faulted inside one GUI call. A PodArray of a megabyte or
// more lives in its own anonymous mapping (Linux) and grows with mremap(),
// which moves page mappings instead of bytes: growing costs no copy and the
// block never exists twice, however big it is. (glibc's realloc() does that
// too, but only for blocks above its mmap threshold, which it raises at run
// time up to 32 MiB: keys-10m measured 180 ms for one realloc() of 16 MiB.)
// zeroed() arrays start as untouched zero pages, so a big empty hash table
// costs nothing until it is used. Smaller arrays, other systems and
// AddressSanitizer builds (which must see every allocation) use malloc and
// realloc().
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#define CACHELAB_PODARRAY_MREMAP 1
#include <sys/mman.h>
#endif

template<typename T> class PodArray
{
    static_assert(std::is_trivially_copyable_v<T>);

public:
    PodArray() = default;
    ~PodArray() { freeBlock(); }
    PodArray(const PodArray &) = delete;
    PodArray &operator=(const PodArray &) = delete;
    PodArray(PodArray &&other) noexcept { swap(other); }
    PodArray &operator=(PodArray &&other) noexcept
    {
        PodArray(std::move(other)).swap(*this);
        return *this;
    }

    /// An array of n zero values.
    static PodArray zeroed(size_t n)
    {
        PodArray a;
        if (n == 0)
            return a;
#ifdef CACHELAB_PODARRAY_MREMAP
        if (n * sizeof(T) >= MappedBytes) {
            a.m_data = static_cast<T *>(mapBlock(n * sizeof(T)));
            a.m_mapped = a.m_data != nullptr; // else calloc() below
        }
#endif
        if (!a.m_data)
            a.m_data = static_cast<T *>(std::calloc(n, sizeof(T)));
        if (!a.m_data)
            throw std::bad_alloc();
        a.m_size = a.m_capacity = n;
        return a;
    }

    size_t size() const
    {
        return m_size;
    }
    size_t capacity() const
    {
        return m_capacity;
    }
    bool empty() const
    {
        return m_size == 0;
    }
    T *data()
    {
        return m_data;
    }
    const T *data() const
    {
        return m_data;
    }
    T *begin()
    {
        return m_data;
    }
    T *end()
    {
        return m_data + m_size;
    }
    T &operator[](size_t i)
    {
        return m_data[i];
    }
    const T &operator[](size_t i) const
    {
        return m_data[i];
    }
    T &back()
    {
        return m_data[m_size - 1];
    }

    void reserve(size_t n)
    {
        if (n > m_capacity)
            reallocate(n);
    }
    void push_back(const T &value)
    {
        if (m_size == m_capacity)
            grow(m_size + 1);
        m_data[m_size++] = value;
    }
    void append(const T *values, size_t n)
    {
        if (m_size + n > m_capacity)
            grow(m_size + n);
        if (n > 0)
            std::memcpy(static_cast<void *>(m_data + m_size), values, n * sizeof(T));
        m_size += n;
    }
    void pop_back()
    {
        --m_size;
    }
    /// Shrinks (never grows) the array to n elements.
    void truncate(size_t n)
    {
        if (n < m_size)
            m_size = n;
    }
    /// Removes [first, last), moving the tail down.
    void erase(size_t first, size_t last)
    {
        if (last < m_size)
            std::memmove(static_cast<void *>(m_data + first), m_data + last, (m_size - last) * sizeof(T));
        m_size -= last - first;
    }
    /// Empties the array and gives its memory back.
    void release()
    {
        PodArray().swap(*this);
    }
    void swap(PodArray &other) noexcept
    {
        std::swap(m_data, other.m_data);
        std::swap(m_size, other.m_size);
        std::swap(m_capacity, other.m_capacity);
        std::swap(m_mapped, other.m_mapped);
    }

    /// Blocks of at least this many bytes get their own mapping (see the file comment).
    static constexpr size_t MappedBytes = size_t(1) << 20;

private:
    void grow(size_t needed)
    {
        size_t capacity = m_capacity < 16 ? 16 : m_capacity * 2;
        if (capacity < needed)
            capacity = needed;
        reallocate(capacity);
    }
    void reallocate(size_t capacity)
    {
        void *p = nullptr;
#ifdef CACHELAB_PODARRAY_MREMAP
        if (m_mapped) {
            p = mremap(m_data, m_capacity * sizeof(T), capacity * sizeof(T), MREMAP_MAYMOVE);
            if (p == MAP_FAILED)
                throw std::bad_alloc();
        } else if (capacity * sizeof(T) >= MappedBytes) {
            p = mapBlock(capacity * sizeof(T));
            if (!p)
                throw std::bad_alloc();
            if (m_size > 0)
                std::memcpy(p, static_cast<const void *>(m_data), m_size * sizeof(T)); // under a megabyte
            std::free(m_data);
            m_mapped = true;
        }
#endif
        if (!p) {
            p = std::realloc(static_cast<void *>(m_data), capacity * sizeof(T));
            if (!p)
                throw std::bad_alloc();
        }
        m_data = static_cast<T *>(p);
        m_capacity = capacity;
    }
    void freeBlock()
    {
#ifdef CACHELAB_PODARRAY_MREMAP
        if (m_mapped) {
            munmap(m_data, m_capacity * sizeof(T));
            return;
        }
#endif
        std::free(m_data);
    }
#ifdef CACHELAB_PODARRAY_MREMAP
    static void *mapBlock(size_t bytes)
    {
        void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return nullptr;
        return p;
    }
#endif

    T *m_data = nullptr;
    size_t m_size = 0;
    size_t m_capacity = 0;
    bool m_mapped = false;
};
