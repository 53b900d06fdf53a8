package einsatzraum

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Files configures attachments: where the encrypted blobs go, the keys,
// and the size limits.
type Files struct {
	Blobs  chat.BlobStore
	Keys   *chat.Keyring
	Limits chat.Limits
}

// UploadAttachment stores a file for a chat (needs write). The bytes are
// sniffed, limited, hashed and encrypted while they stream in; the
// attachment is then referred to by a photo, file, audio or video message.
func (s *Service) UploadAttachment(ctx context.Context, a *Actor, chatID, name string, r io.Reader) (*chat.Attachment, error) {
	var c *Chat
	err := s.view(ctx, "upload_check", func(tx Tx) (err error) {
		c, err = requireChat(ctx, tx, a, chatID, ActPostMessage)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.storeAttachment(ctx, a, c, name, r)
}

func (s *Service) storeAttachment(ctx context.Context, a *Actor, c *Chat, name string, r io.Reader) (*chat.Attachment, error) {
	if s.cfg.Files.Blobs == nil {
		return nil, Errorf(KindUnavailable, "no_file_store", "this server keeps no files")
	}
	att, err := chat.Ingest(ctx, s.cfg.Files.Blobs, s.cfg.Files.Keys, NewID("att"), r, name, s.cfg.Files.Limits)
	if errors.Is(err, syscall.ENOSPC) {
		return nil, StorageFull(err)
	}
	if err != nil {
		return nil, err
	}
	att.Room, att.Chat, att.Uploader = c.Room, c.ID, a.User.ID
	err = s.update(ctx, "create_attachment", func(w *write) error {
		att.CreatedAt = w.now
		return w.CreateAttachment(ctx, att)
	})
	if err != nil {
		s.deleteBlobs(ctx, att.ID)
		return nil, fmt.Errorf("record attachment: %w", err)
	}
	return att, nil
}

func (s *Service) deleteBlobs(ctx context.Context, id string) {
	for _, b := range []string{id, chat.ThumbnailID(id)} {
		if err := s.cfg.Files.Blobs.Delete(ctx, b); err != nil {
			s.log.Warn("delete blob", "blob", b, "err", err)
		}
	}
}

// OpenedFile is an attachment opened for reading; Close it.
type OpenedFile struct {
	*chat.Attachment
	Reader io.ReaderAt
	Size   int64
	blob   chat.Blob
}

// Close releases the blob.
func (f *OpenedFile) Close() error { return f.blob.Close() }

// AttachmentInfo returns an attachment's description (name, type, size,
// hash) if a may read its chat; 404 attachment_not_found otherwise, and
// once it is hidden by the visible retention.
func (s *Service) AttachmentInfo(ctx context.Context, a *Actor, id string) (*chat.Attachment, error) {
	if !validID(id) || s.cfg.Files.Blobs == nil {
		return nil, Errorf(KindNotFound, "attachment_not_found", "no such attachment")
	}
	var att *chat.Attachment
	err := s.view(ctx, "open_attachment", func(tx Tx) error {
		var err error
		if att, err = tx.AttachmentByID(ctx, id); err != nil {
			return notFound(err, "attachment_not_found", "no such attachment")
		}
		if att.CreatedAt.Before(s.VisibleSince()) {
			return Errorf(KindNotFound, "attachment_not_found", "no such attachment")
		}
		if _, err := requireChat(ctx, tx, a, att.Chat, ActReadChat); err != nil {
			return Errorf(KindNotFound, "attachment_not_found", "no such attachment")
		}
		return nil
	})
	return att, err
}

// OpenAttachment opens an attachment (or its thumbnail) for a member of
// its chat with read; anyone else gets 404 attachment_not_found.
func (s *Service) OpenAttachment(ctx context.Context, a *Actor, id string, thumbnail bool) (*OpenedFile, error) {
	att, err := s.AttachmentInfo(ctx, a, id)
	if err != nil {
		return nil, err
	}
	blobID, size := att.Blob(), att.Size
	if thumbnail {
		if !att.Thumbnail {
			return nil, Errorf(KindNotFound, "no_thumbnail", "this attachment has no thumbnail")
		}
		blobID, size = chat.ThumbnailID(att.Blob()), att.ThumbSize
	}
	b, err := s.cfg.Files.Blobs.Open(ctx, blobID)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", blobID, err)
	}
	r, err := s.cfg.Files.Keys.NewDecryptReader(b, size)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("open encrypted blob %s: %w", blobID, err)
	}
	return &OpenedFile{Attachment: att, Reader: r, Size: size, blob: b}, nil
}

// Inject lets a data administrator put a file from the police network into
// any chat as a photo or file message, without being able to read the
// chat. Every injection is audit-logged.
func (s *Service) Inject(ctx context.Context, a *Actor, chatID, caption, name string, r io.Reader) (*chat.Message, error) {
	if err := s.RequireRole(a, RoleDataAdmin); err != nil {
		return nil, err
	}
	if !validID(chatID) {
		return nil, Errorf(KindNotFound, "chat_not_found", "no such chat")
	}
	if len(caption) > chat.MaxTextBytes {
		return nil, Errorf(KindInvalid, "text_too_long", "caption must be at most %d bytes", chat.MaxTextBytes)
	}
	var c *Chat
	err := s.view(ctx, "inject_check", func(tx Tx) (err error) {
		c, err = tx.ChatByID(ctx, chatID)
		return notFound(err, "chat_not_found", "no such chat")
	})
	if err != nil {
		return nil, err
	}
	att, err := s.storeAttachment(ctx, a, c, name, r)
	if err != nil {
		return nil, err
	}
	kind := chat.KindFile
	if att.Kind == chat.KindPhoto {
		kind = chat.KindPhoto
	}
	var m *chat.Message
	err = s.update(ctx, "inject", func(w *write) error {
		m = &chat.Message{ID: NewTimeOrderedID("msg", w.now), Room: c.Room, Chat: c.ID, Sender: a.User.Ref(), Kind: kind,
			Text: caption, Attachment: att.Ref(), Location: att.Location, CreatedAt: w.now}
		if err := w.addMessage(ctx, m); err != nil {
			return err
		}
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "inject", Target: c.ID,
			Detail: fmt.Sprintf("attachment %s (%s, %d bytes, sha256 %s) as message %s", att.ID, att.MIME, att.Size, att.SHA256, m.ID)})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// attachmentFor checks the attachment a message refers to: it exists, was
// uploaded for this chat, and fits the message kind. It returns it.
func attachmentFor(ctx context.Context, tx Tx, chatID string, d *chat.Draft) (*chat.Attachment, error) {
	att, err := tx.AttachmentByID(ctx, d.Attachment.ID)
	if err != nil || att.Chat != chatID {
		return nil, Errorf(KindInvalid, "unknown_attachment", "attachment %q was not uploaded to this chat", d.Attachment.ID)
	}
	ok := att.Kind == d.Kind || d.Kind == chat.KindFile // any file may be sent as a file
	if !ok {
		return nil, Errorf(KindInvalid, "attachment_kind_mismatch", "attachment %q is a %s, not a %s", att.ID, att.Kind, d.Kind)
	}
	return att, nil
}
