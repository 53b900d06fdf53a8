package einsatzraum

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Durable posts are written in groups: posts that arrive while a group is
// being written wait for the next one, and each group is one transaction
// that checks every post not checked before (rights, client_id, reply,
// ...; a post refused leaves the group with its error), reserves each
// room's seqs once, inserts the messages and their events (on PostgreSQL
// in one statement, a single round trip) and commits once. On PostgreSQL
// two groups are written at once: one reads while the other holds its
// rooms' seq rows. The checks every post needs, the sender's access to the chat and
// an earlier message with its client_id, are read for the whole group at
// once (on PostgreSQL one round trip each); on PostgreSQL a post that
// needs more reads (a POI, an attachment, a reply, mentions) is checked
// before, in parallel with others (see PostMessage). A chat's posts thus
// no longer queue one commit at a time behind the room's seq row, and on
// SQLite the checks read through the writer's warm cache.

// maxPostGroup bounds the posts of one group.
const maxPostGroup = 256

// postGroupTimeout bounds the writing of one group (it runs for many
// callers, so none of their contexts is its own).
const postGroupTimeout = 30 * time.Second

// errPostGroupFailed: the group of this post did not commit; the post was
// not stored and should run on its own.
var errPostGroupFailed = errors.New("the group of posts was not stored")

// postGroups collects posts and writes them a group at a time per writer
// goroutine, running while there are posts (none when there are none).
// Where the store runs one writer (SQLite) there is one such goroutine;
// where writers run concurrently (PostgreSQL) there are concurrentPostGroups,
// so that one group reads its checks while another holds its rooms' seq
// rows and commits: one group at a time left the database waiting between
// round trips (PostgreSQL used 14 % of the CPU, 44 % was idle).
type postGroups struct {
	writers int // writer goroutines at most: 1, or concurrentPostGroups

	mu      sync.Mutex
	pending []*pendingPost
	writing int // writer goroutines running
	order   publishOrder
}

// concurrentPostGroups is how many groups are written at once where the
// store runs writers concurrently.
const concurrentPostGroups = 2

// newPostGroups returns the post groups for store.
func newPostGroups(store Store) *postGroups {
	if store.ConcurrentWriters() {
		return &postGroups{writers: concurrentPostGroups}
	}
	return &postGroups{writers: 1}
}

// pendingPost is a post waiting for its group, and then its outcome.
type pendingPost struct {
	ctx    context.Context
	actor  *Actor
	chatID string
	draft  chat.Draft

	checked bool // m is checked already (Store.Latest); else the group checks it
	m       *chat.Message
	created bool
	err     error
	done    chan struct{}
}

// submit writes p with the next group and returns its outcome once that
// group committed, or errPostGroupFailed if it did not, or the caller's
// context error if it ended before its group began.
func (g *postGroups) submit(s *Service, p *pendingPost) (*chat.Message, bool, error) {
	p.done = make(chan struct{})
	g.mu.Lock()
	g.pending = append(g.pending, p)
	if g.writing < g.writers {
		g.writing++
		go g.writeAll(s)
	}
	g.mu.Unlock()
	<-p.done
	return p.m, p.created, p.err
}

// writeAll writes groups until none is pending.
func (g *postGroups) writeAll(s *Service) {
	for {
		g.mu.Lock()
		n := min(len(g.pending), maxPostGroup)
		if n == 0 {
			g.writing--
			g.mu.Unlock()
			return
		}
		group := make([]*pendingPost, 0, n)
		for _, p := range g.pending[:n] {
			if err := p.ctx.Err(); err != nil {
				p.err = err // gone before its group began: not stored
				close(p.done)
				continue
			}
			group = append(group, p)
		}
		g.pending = append(g.pending[:0], g.pending[n:]...)
		g.mu.Unlock()
		if len(group) == 0 {
			continue
		}
		if err := s.writePosts(group, &g.order); err != nil {
			s.log.Info("a group of posts failed; each runs on its own", "posts", len(group), "err", err)
			for _, p := range group {
				p.m, p.created, p.err = nil, false, fmt.Errorf("%w: %v", errPostGroupFailed, err)
			}
		}
		for _, p := range group {
			close(p.done)
		}
	}
}

// writePosts checks and stores a group of posts in one transaction and
// publishes their message.created events after the commit, in the order
// in which groups reserved their seqs (order). A post refused by its
// checks gets its error and the others go on; an error of the store fails
// the group.
func (s *Service) writePosts(group []*pendingPost, order *publishOrder) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), postGroupTimeout)
	defer cancel()
	var turn publishTurn
	defer turn.done()
	events, err := s.commit(ctx, "post_messages", func(w *write) error {
		checks, err := readGroupChecks(ctx, w, group)
		if err != nil {
			return err
		}
		var ms []*chat.Message
		counts := map[string]int{}
		byClientID := map[[2]string]*chat.Message{} // a retry within the group is the same message
		for _, p := range group {
			if p.checked {
				p.m.CreatedAt = w.now
			} else {
				p.m, p.created, p.err = s.draftMessage(ctx, checks, p.actor, p.chatID, p.draft, w.now)
			}
			if p.err != nil && KindOf(p.err) == KindInternal {
				return p.err // the store's, not the post's: the transaction may be broken
			}
			if p.err != nil || !p.created {
				continue
			}
			if p.draft.ClientID != "" {
				key := [2]string{p.actor.User.ID, p.draft.ClientID}
				if first := byClientID[key]; first != nil {
					if first.Chat != p.chatID {
						p.m, p.created, p.err = nil, false, errClientIDInOtherChat()
					} else {
						p.m, p.created = first, false
					}
					continue
				}
				byClientID[key] = p.m
			}
			ms = append(ms, p.m)
			counts[p.m.Room]++
		}
		if len(ms) == 0 {
			return nil
		}
		next, err := w.ReserveSeqs(ctx, counts)
		if err != nil {
			return err
		}
		// The rooms' seq rows are this transaction's until it ends: a group
		// of the same rooms that takes its turn later commits later.
		turn.take(order)
		events := make([]Event, len(ms))
		for i, m := range ms {
			m.Seq = next[m.Room]
			next[m.Room]++
			if events[i], err = w.event(m.Seq, m.Room, EventMessageCreated, m.Chat, "", messageCreated(m)); err != nil {
				return err
			}
		}
		if err := w.InsertMessagesWithEvents(ctx, ms, events); err != nil {
			return err
		}
		w.events = append(w.events, events...)
		return nil
	})
	turn.wait()
	if err != nil {
		return err
	}
	s.publish(ctx, events)
	return nil
}

// publishOrder hands out turns to publish in the order groups reserved
// their seqs. Groups written at once commit in that order where they share
// a room (the second waits for the first's seq row), but their goroutines
// may reach the bus in any order; a feed that sees a later seq first reads
// the ones between from the store, which publishing in turn spares it.
type publishOrder struct {
	mu   sync.Mutex
	last chan struct{} // closed once the latest turn is done; nil: none yet
}

// publishTurn is a group's place in a publishOrder; the zero turn (no seqs
// reserved) waits for nothing and holds no one up.
type publishTurn struct {
	after chan struct{} // the turn before, nil for none
	mine  chan struct{}
}

// take makes t the next turn of o, unless t holds one already (a
// transaction run again keeps its first).
func (t *publishTurn) take(o *publishOrder) {
	if t.mine != nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	t.after, t.mine = o.last, make(chan struct{})
	o.last = t.mine
}

// wait returns once the turn before t is done; as every turn waits
// before it is done, so are all turns before.
func (t *publishTurn) wait() {
	if t.after != nil {
		<-t.after
	}
}

// done lets the next turn go: after t published or failed.
func (t *publishTurn) done() {
	if t.mine != nil {
		close(t.mine)
		t.mine = nil
	}
}

// groupChecks is the Tx through which a group checks its posts: each
// sender's access to the chat and the earlier message of each client_id
// come from reads made once for the whole group, the rest from the
// group's transaction.
type groupChecks struct {
	Tx
	access     map[[2]string]*ChatAccess   // by chat and user; nil: no access
	byClientID map[[2]string]*chat.Message // by sender and client_id; nil: none
}

// readGroupChecks reads, for the posts of group not checked before, every
// sender's access to the chat and the message of every client_id, in one
// read each (Store.ChatAccesses, Store.MessagesByClientID).
func readGroupChecks(ctx context.Context, tx Tx, group []*pendingPost) (*groupChecks, error) {
	g := &groupChecks{Tx: tx, access: map[[2]string]*ChatAccess{}, byClientID: map[[2]string]*chat.Message{}}
	var chats, users, senders, clientIDs []string
	for _, p := range group {
		if p.checked {
			continue
		}
		if key := [2]string{p.chatID, p.actor.User.ID}; !hasKey(g.access, key) {
			g.access[key] = nil
			chats, users = append(chats, key[0]), append(users, key[1])
		}
		if p.draft.ClientID == "" {
			continue
		}
		if key := [2]string{p.actor.User.ID, p.draft.ClientID}; !hasKey(g.byClientID, key) {
			g.byClientID[key] = nil
			senders, clientIDs = append(senders, key[0]), append(clientIDs, key[1])
		}
	}
	if err := readPairs(ctx, g.access, chats, users, tx.ChatAccesses); err != nil {
		return nil, err
	}
	if err := readPairs(ctx, g.byClientID, senders, clientIDs, tx.MessagesByClientID); err != nil {
		return nil, err
	}
	return g, nil
}

// readPairs reads the values of the pairs (as[i], bs[i]) with one call of
// read (none for no pairs) into m.
func readPairs[V any](ctx context.Context, m map[[2]string]*V, as, bs []string, read func(context.Context, []string, []string) ([]*V, error)) error {
	if len(as) == 0 {
		return nil
	}
	vs, err := read(ctx, as, bs)
	if err != nil {
		return err
	}
	for i, v := range vs {
		m[[2]string{as[i], bs[i]}] = v
	}
	return nil
}

func hasKey[V any](m map[[2]string]V, key [2]string) bool {
	_, ok := m[key]
	return ok
}

// ChatAccess answers from the group's read where it holds the pair.
func (g *groupChecks) ChatAccess(ctx context.Context, chatID, userID string) (*ChatAccess, error) {
	a, err := fromGroupRead(g.access, [2]string{chatID, userID}, func() (*ChatAccess, error) { return g.Tx.ChatAccess(ctx, chatID, userID) })
	if err != nil {
		return nil, err
	}
	copied := *a // the caller may change it; the next post of the pair reads it too
	return &copied, nil
}

// MessageByClientID answers from the group's read where it holds the pair.
func (g *groupChecks) MessageByClientID(ctx context.Context, senderID, clientID string) (*chat.Message, error) {
	return fromGroupRead(g.byClientID, [2]string{senderID, clientID}, func() (*chat.Message, error) { return g.Tx.MessageByClientID(ctx, senderID, clientID) })
}

// fromGroupRead returns the group's read of key: ErrNotFound where it
// found none, readAlone's answer for a key the group did not read.
func fromGroupRead[V any](read map[[2]string]*V, key [2]string, readAlone func() (*V, error)) (*V, error) {
	v, ok := read[key]
	switch {
	case !ok:
		return readAlone()
	case v == nil:
		return nil, ErrNotFound
	}
	return v, nil
}
