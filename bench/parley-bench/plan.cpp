#include "plan.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace parley::bench {

std::vector<int> room_sizes(int clients, int rooms, double zipf_exponent)
{
    if (rooms < 1 || clients < rooms)
        throw std::invalid_argument("need clients >= rooms >= 1");
    std::vector<int> sizes(static_cast<std::size_t>(rooms), 1);
    if (zipf_exponent <= 0) {
        for (int r = 0; r < rooms; ++r)
            sizes[static_cast<std::size_t>(r)] = clients / rooms + (r < clients % rooms ? 1 : 0);
        return sizes;
    }
    // Each room gets 1, the rest is shared in proportion to 1/k^s (largest remainders).
    std::vector<double> weight(sizes.size());
    for (std::size_t k = 0; k < weight.size(); ++k)
        weight[k] = 1.0 / std::pow(static_cast<double>(k + 1), zipf_exponent);
    double const total = std::accumulate(weight.begin(), weight.end(), 0.0);
    int const extra = clients - rooms;
    std::vector<std::pair<double, std::size_t>> remainder;
    int given = 0;
    for (std::size_t k = 0; k < weight.size(); ++k) {
        double const share = extra * weight[k] / total;
        auto const whole = static_cast<int>(std::floor(share));
        sizes[k] += whole;
        given += whole;
        remainder.emplace_back(share - whole, k);
    }
    std::sort(remainder.begin(), remainder.end(), [](auto const& a, auto const& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (std::size_t i = 0; given < extra; ++i, ++given)
        ++sizes[remainder[i % remainder.size()].second];
    std::sort(sizes.begin(), sizes.end(), std::greater<>());
    return sizes;
}

plan make_plan(plan_options const& o)
{
    if (o.addresses < 1)
        throw std::invalid_argument("need at least one server address");
    plan p;
    p.room_sizes = room_sizes(o.clients, o.rooms, o.zipf_exponent);
    auto const rooms = p.room_sizes.size();
    int const biggest = p.room_sizes.front();

    // Identities: room r owns users [base[r], base[r] + min(size, cap)).
    std::vector<int> user_base(rooms);
    for (std::size_t r = 0; r < rooms; ++r) {
        user_base[r] = p.users;
        int const size = p.room_sizes[r];
        p.users += o.users_per_room > 0 ? std::min(size, o.users_per_room) : size;
    }

    p.clients.reserve(static_cast<std::size_t>(o.clients));
    for (int j = 0; j < biggest; ++j)
        for (std::size_t r = 0; r < rooms; ++r) {
            if (j >= p.room_sizes[r])
                continue;
            client_slot c;
            c.room = static_cast<int>(r);
            c.member = j;
            c.address = static_cast<int>((r + static_cast<std::size_t>(j)) %
                                         static_cast<std::size_t>(o.addresses));
            c.user = user_base[r] + (o.users_per_room > 0 ? j % o.users_per_room : j);
            p.clients.push_back(c);
        }

    // Publisher q is member q / R of room q % R (the first members first); a room too small for
    // its share of publishers gets fewer.
    int const wanted = o.publishers > 0 ? o.publishers : static_cast<int>(rooms);
    // Index of (room, member) in member-major order.
    std::vector<std::vector<int>> index(rooms);
    for (std::size_t i = 0; i < p.clients.size(); ++i)
        index[static_cast<std::size_t>(p.clients[i].room)].push_back(static_cast<int>(i));
    for (int q = 0; static_cast<int>(p.publishers.size()) < wanted; ++q) {
        auto const r = static_cast<std::size_t>(q) % rooms;
        auto const j = static_cast<std::size_t>(q) / rooms;
        if (j >= static_cast<std::size_t>(biggest))
            break; // every client publishes already
        if (j < index[r].size())
            p.publishers.push_back(index[r][j]);
    }
    return p;
}

} // namespace parley::bench
