-- wxrecon schema, version 1 (DESIGN.md §4). Times are UTC DATETIME(3); money is BIGINT fen.
-- Written in the SQL subset shared by MySQL 8.0+ and MariaDB 10.6+ (sql/README.md).
-- Identifiers from WeChat are ASCII and case-sensitive: ascii_bin.

CREATE TABLE merchant_order (
  id BIGINT NOT NULL AUTO_INCREMENT,
  mch_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  appid VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  out_trade_no VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  total_fee BIGINT NOT NULL,
  fee_type VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'CNY',
  trade_type VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'NOTPAY',
  transaction_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
  paid_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL,
  expire_at DATETIME(3) NOT NULL,
  next_check_at DATETIME(3) NULL,
  check_attempts INT NOT NULL DEFAULT 0,
  lease_owner VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  lease_until DATETIME(3) NULL,
  lease_generation BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 0,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  -- wxrecon's own bookkeeping (every column has a default: the merchant's app never sets them)
  close_confirm_at DATETIME(3) NULL,       -- CLOSED on close=SUCCESS,requery=NOTPAY: one more query due
  not_exist_first_at DATETIME(3) NULL,     -- first ORDERNOTEXIST after expiry (two, close_grace_s apart, close it)
  PRIMARY KEY (id),
  UNIQUE KEY uk_order_mch_out (mch_id, out_trade_no),
  -- The sweep's claim: unfinished states of one merchant by due time. Finished orders are
  -- outside the range, so the claim's cost does not grow with history.
  KEY idx_order_due (state, mch_id, next_check_at),
  -- The bill run: orders paid on a Beijing day, per merchant.
  KEY idx_order_paid (mch_id, paid_at),
  KEY idx_order_txn (mch_id, transaction_id),
  KEY idx_order_created (created_at),
  KEY idx_order_close_confirm (close_confirm_at),
  CONSTRAINT ck_order_state CHECK (state IN ('NOTPAY','USERPAYING','SUCCESS','REFUND','CLOSED',
                                            'REVOKED','PAYERROR','REVIEW')),
  CONSTRAINT ck_order_total_fee CHECK (total_fee > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE payment_notification (
  id BIGINT NOT NULL AUTO_INCREMENT,
  mch_id VARCHAR(64) NULL,
  appid VARCHAR(64) NULL,
  out_trade_no VARCHAR(64) NULL,
  transaction_id VARCHAR(64) NULL,
  total_fee BIGINT NULL,
  time_end DATETIME(3) NULL,
  sign_ok TINYINT NULL,
  verdict VARCHAR(20) CHARACTER SET ascii COLLATE ascii_bin NULL,
  raw_body MEDIUMBLOB NOT NULL,
  body_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  received_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  remote_addr VARCHAR(64) NULL,
  times_received INT NOT NULL DEFAULT 1,
  -- Set by wxrecon's notify-server only: byte-identical bodies share a row through this key.
  -- NULL for rows written by a merchant's own endpoint (NULLs never collide).
  dedup_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  last_received_at DATETIME(3) NULL,
  verified_at DATETIME(3) NULL,            -- when wxrecon last re-verified raw_body
  PRIMARY KEY (id),
  UNIQUE KEY uk_notification_dedup (dedup_key),
  KEY idx_notification_order (mch_id, out_trade_no),
  KEY idx_notification_txn (mch_id, transaction_id),
  KEY idx_notification_sha (body_sha256),
  KEY idx_notification_received (received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE order_transition (
  id BIGINT NOT NULL AUTO_INCREMENT,
  order_id BIGINT NOT NULL,
  from_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  to_state VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  source VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  run_id BIGINT NULL,
  evidence VARCHAR(2000) NOT NULL DEFAULT '',
  at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY idx_transition_order (order_id, id),
  CONSTRAINT ck_transition_source CHECK (source IN ('query','notify','close','bill','manual'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE recon_run (
  id BIGINT NOT NULL AUTO_INCREMENT,
  kind VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  params VARCHAR(2000) NOT NULL DEFAULT '',
  started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  finished_at DATETIME(3) NULL,
  status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'RUNNING',
  orders_examined BIGINT NOT NULL DEFAULT 0,
  transitions BIGINT NOT NULL DEFAULT 0,
  wechat_calls BIGINT NOT NULL DEFAULT 0,
  failures BIGINT NOT NULL DEFAULT 0,
  discrepancies_new BIGINT NOT NULL DEFAULT 0,
  discrepancies_high_new BIGINT NOT NULL DEFAULT 0,
  summary TEXT NULL,
  host VARCHAR(255) NOT NULL DEFAULT '',
  pid INT NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY idx_run_kind (kind, started_at),
  CONSTRAINT ck_run_kind CHECK (kind IN ('sweep','bill','rerun','report','resolve','notify'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE bill_file (
  id BIGINT NOT NULL AUTO_INCREMENT,
  mch_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  bill_date DATE NOT NULL,
  bill_type VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `rows` BIGINT NOT NULL DEFAULT 0,
  layout VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,
  trade_count BIGINT NULL,
  settlement_total_fen BIGINT NULL,
  refund_total_fen BIGINT NULL,
  coupon_refund_total_fen BIGINT NULL,
  fee_total VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,  -- exact, e.g. '0.05000'
  order_total_fen BIGINT NULL,
  refund_applied_total_fen BIGINT NULL,
  summary_reading VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,  -- which inferred rule matched
  error VARCHAR(1000) NULL,
  sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  stored_path VARCHAR(1000) NULL,
  downloaded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  run_id BIGINT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_bill_file (mch_id, bill_date, bill_type, sha256),
  CONSTRAINT ck_bill_status CHECK (status IN ('OK','EMPTY','NOT_READY','FAILED','REJECTED'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE bill_day (
  mch_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  bill_date DATE NOT NULL,
  local_count BIGINT NOT NULL DEFAULT 0,
  local_amount_fen BIGINT NOT NULL DEFAULT 0,
  bill_count BIGINT NOT NULL DEFAULT 0,
  bill_order_amount_fen BIGINT NOT NULL DEFAULT 0,
  bill_settlement_fen BIGINT NOT NULL DEFAULT 0,
  bill_refund_fen BIGINT NOT NULL DEFAULT 0,
  bill_fee VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '0.00000',
  bill_net_fen BIGINT NOT NULL DEFAULT 0,
  matched_count BIGINT NOT NULL DEFAULT 0,
  matched_amount_fen BIGINT NOT NULL DEFAULT 0,
  unmatched_local_count BIGINT NOT NULL DEFAULT 0,
  unmatched_bill_count BIGINT NOT NULL DEFAULT 0,
  not_managed_count BIGINT NOT NULL DEFAULT 0,
  bill_status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'OK',
  bill_file_id BIGINT NULL,
  run_id BIGINT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (mch_id, bill_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE discrepancy (
  id BIGINT NOT NULL AUTO_INCREMENT,
  kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  severity VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  mch_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  out_trade_no VARCHAR(64) NULL,
  transaction_id VARCHAR(64) NULL,
  bill_date DATE NULL,
  local_value VARCHAR(500) NOT NULL DEFAULT '',
  remote_value VARCHAR(500) NOT NULL DEFAULT '',
  detail TEXT NULL,
  first_run_id BIGINT NULL,
  last_run_id BIGINT NULL,
  first_seen_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_seen_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'OPEN',
  resolved_by VARCHAR(128) NULL,
  resolved_os_user VARCHAR(128) NULL,
  resolved_at DATETIME(3) NULL,
  resolution_note TEXT NULL,
  -- MySQL treats NULLs as distinct in a UNIQUE key: these make (kind, mch_id, out_trade_no,
  -- bill_date) really unique for discrepancies without an order or a bill date.
  out_trade_no_key VARCHAR(64) AS (COALESCE(out_trade_no, '')) STORED,
  bill_date_key DATE AS (COALESCE(bill_date, '1000-01-01')) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY uk_discrepancy (kind, mch_id, out_trade_no_key, bill_date_key),
  KEY idx_discrepancy_day (mch_id, bill_date),
  KEY idx_discrepancy_order (mch_id, out_trade_no),
  KEY idx_discrepancy_status (status, severity),
  CONSTRAINT ck_discrepancy_severity CHECK (severity IN ('HIGH','MEDIUM','LOW')),
  CONSTRAINT ck_discrepancy_status CHECK (status IN ('OPEN','RESOLVED'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
