// AddressSanitizer builds only: the PostgreSQL backend's stackful coroutines then use
// Boost.Context's ucontext implementation, which tells ASan about every stack switch
// (BOOST_USE_ASAN), so that exceptions thrown on a coroutine's stack are not false reports.
// Debian's libboost-context is built for fcontext only and lacks the one out-of-line piece of the
// ucontext implementation, the per-thread activation record, which Boost's own ucontext build
// defines in libs/context/src/fiber.cpp: the same definition follows. (lib/CMakeLists.txt sets
// BOOST_USE_UCONTEXT and BOOST_USE_ASAN for this file and pg_backend.cpp under PARLEY_SANITIZE.)
#if defined(BOOST_USE_UCONTEXT)

#include <boost/assert.hpp>
#include <boost/context/fiber.hpp>
#include <cstddef>

namespace boost::context::detail {

namespace {
thread_local fiber_activation_record* current_record = nullptr;
thread_local std::size_t records = 0;
} // namespace

fiber_activation_record_initializer::fiber_activation_record_initializer() noexcept
{
    if (records++ == 0)
        current_record = new fiber_activation_record();
}

fiber_activation_record_initializer::~fiber_activation_record_initializer()
{
    if (--records == 0) {
        BOOST_ASSERT(current_record->is_main_context());
        delete current_record;
    }
}

fiber_activation_record*& fiber_activation_record::current() noexcept
{
    thread_local static fiber_activation_record_initializer initializer;
    return current_record;
}

} // namespace boost::context::detail

#endif
