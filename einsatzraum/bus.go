package einsatzraum

import "context"

// Bus carries committed room events (and other node-to-node messages)
// between the nodes of a deployment. The embedded default is in-process;
// several nodes use Redis. Delivery is at most once: a subscriber that
// sees a gap in a room's seq fills it from the store.
type Bus interface {
	// Publish sends payload to every subscriber of topic. It does not
	// block on slow subscribers.
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe returns a subscription to topics; more can be added later.
	Subscribe(ctx context.Context, topics ...string) (Subscription, error)
	// Ping reports whether the bus answers.
	Ping(ctx context.Context) error
	// Close releases the bus.
	Close() error
}

// Subscription receives the messages of its topics.
type Subscription interface {
	// C delivers messages; it is closed when the subscription ends.
	C() <-chan BusMsg
	// Add and Remove change the subscribed topics.
	Add(ctx context.Context, topics ...string) error
	Remove(ctx context.Context, topics ...string) error
	// Close ends the subscription.
	Close() error
}

// BusMsg is one message received from the bus.
type BusMsg struct {
	Topic   string
	Payload []byte
}

// RevokedDevicesTopic carries the IDs of wiped or logged-out devices, so
// that every node closes their live connections.
const RevokedDevicesTopic = "devices:revoked"

// RoomTopic is the bus topic of a room's events.
func RoomTopic(roomID string) string { return "room:" + roomID }
