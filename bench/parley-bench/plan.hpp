// Who is where: room sizes (uniform or Zipf), each client's room, server address and user
// identity, and which clients publish. Pure arithmetic, decided before anything connects.
//
// Clients are ordered member-major (every room's first member, then every room's second ...), so
// the first clients of every room are distinct users and connections open evenly over rooms.
// Member j of room r connects to address (r + j) mod M: every room spans every replica, and the
// publishers (the first members) are spread over replicas too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

struct plan_options {
    int clients = 1000;
    int rooms = 10;
    double zipf_exponent = 0; // 0: uniform sizes; s > 0: size of the k-th room ∝ 1 / k^s
    int publishers = 0;       // 0: one per room
    int addresses = 1;        // M
    int users_per_room = 0;   // distinct identities per room at most (0: every client distinct)
};

struct client_slot {
    int room = 0;    // index into plan::room_sizes
    int member = 0;  // j: its index among the room's members
    int address = 0; // index into the address list
    int user = 0;    // identity index (user id = base + user)
};

struct plan {
    std::vector<int> room_sizes;      // biggest first
    std::vector<client_slot> clients; // member-major order
    std::vector<int> publishers;      // client indices; message k is sent by publishers[k % P]
    int users = 0;                    // distinct identities

    // Deliveries one message of publisher p causes (the size of its room, sender included).
    int fanout_of_publisher(std::size_t p) const
    {
        return room_sizes[static_cast<std::size_t>(clients[publishers[p]].room)];
    }
};

// Throws std::invalid_argument when the numbers do not fit (e.g. more rooms than clients).
plan make_plan(plan_options const& o);

// Room sizes alone (for tests and the summary): uniform or Zipf, each at least 1, summing to n.
std::vector<int> room_sizes(int clients, int rooms, double zipf_exponent);

} // namespace parley::bench
