package revisions

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DBFile is the name of the revision store in the data directory.
const DBFile = "sluice.db"

// Buckets and keys of the revision store.
var (
	bucketRecords = []byte("records") // big-endian sequence -> Record JSON
	bucketMeta    = []byte("meta")    // metaServed, metaPin, metaHead -> SHA
	metaServed    = []byte("served")  // the revision being served
	metaPin       = []byte("pin")     // the pinned revision; absent when not pinned
	metaHead      = []byte("head")    // the newest revision accepted from the source
)

// boltDB is the revision store on disk: every record kept, the pin, and
// what is served, so that a restart serves it again before the remote
// answers.
type boltDB struct {
	db *bolt.DB
}

func openDB(dataDir string) (*boltDB, error) {
	path := filepath.Join(dataDir, DBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open revision store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRecords, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open revision store %s: %w", path, err)
	}
	return &boltDB{db: db}, nil
}

func seqKey(seq int) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(seq))
}

// load returns the records, oldest first, and the meta values.
func (b *boltDB) load() (recs []*Record, meta map[string]string, err error) {
	meta = map[string]string{}
	err = b.db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			r := new(Record)
			if err := json.Unmarshal(v, r); err != nil {
				return fmt.Errorf("record %d: %w", binary.BigEndian.Uint64(k), err)
			}
			recs = append(recs, r)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).ForEach(func(k, v []byte) error {
			meta[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read revision store: %w", err)
	}
	return recs, meta, nil
}

// write saves records, deletes the records of the sequences in drop and
// sets the meta values ("" deletes one), in one transaction.
func (b *boltDB) write(recs []*Record, drop []int, meta map[string]string) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		rb, mb := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
		for _, r := range recs {
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := rb.Put(seqKey(r.Sequence), v); err != nil {
				return err
			}
		}
		for _, seq := range drop {
			if err := rb.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		for k, v := range meta {
			var err error
			if v == "" {
				err = mb.Delete([]byte(k))
			} else {
				err = mb.Put([]byte(k), []byte(v))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write revision store: %w", err)
	}
	return nil
}

func (b *boltDB) close() error { return b.db.Close() }
