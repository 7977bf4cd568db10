"""The My Number card's APDUs, status words and data formats. Pure Python: no PC/SC, no Django.

Everything here comes from the reverse-engineered descriptions collected in
`../shared/research/mynumber_card.md` (OpenSC, jpki/myna, soltia48/myna-card): short APDUs
only, SELECT by AID then by 2-byte EF id, VERIFY on the selected key EF, READ BINARY in chunks of
at most 256 bytes, and the proprietary COMPUTE DIGITAL SIGNATURE `80 2A 00 80`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from cards.reader.errors import (
    CardDataError,
    FileNotFound,
    PinLocked,
    SecurityNotSatisfied,
    StatusWordError,
    WrongPin,
)

# Applications (DF names).
JPKI_AID = bytes.fromhex("D392F000260100000001")  # 公的個人認証AP
TEXT_AID = bytes.fromhex("D3921000310001010408")  # 券面事項入力補助AP
VISUAL_AID = bytes.fromhex("D3921000310001010402")  # 券面事項確認AP

# JPKI-AP elementary files.
JPKI_TOKEN_INFO = 0x0006
JPKI_AUTH_CERT = 0x000A  # 利用者証明用電子証明書: readable without a PIN
JPKI_AUTH_CA_CERT = 0x000B
JPKI_AUTH_KEY = 0x0017
JPKI_AUTH_PIN = 0x0018  # 4 digits, 3 tries
# 券面事項入力補助AP elementary files. EF 0001 holds the 12-digit My Number: this code never
# selects it (there is deliberately no constant for it).
TEXT_BASIC_FOUR = 0x0002
TEXT_PIN = 0x0011  # 4 digits, 3 tries
TEXT_ACCESS_KEY_B = 0x0015  # 照合番号B: birth date (era year) + card expiry year + security code

AUTH_PIN_LIMIT = 3
TEXT_PIN_LIMIT = 3
ACCESS_KEY_LIMIT = 10  # 照合番号B (reported; research brief §1.5)
PHYSICAL_CARD_LABEL = b"JPKIAPICCTOKEN2"

# Status words.
SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_BLOCKED = 0x6983
SW_KEY_BLOCKED = 0x6984
SW_CONDITIONS = 0x6985
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_DATA_NOT_FOUND = 0x6A88
SW_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00

# DER DigestInfo prefix for SHA-256 (RFC 8017, section 9.2 note 1).
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True, slots=True)
class Command:
    """A short C-APDU. `data` is the command body; `le` None means no Le byte (0 means 256)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    # True when the body is a secret (VERIFY): it is never logged or shown.
    secret: bool = False

    def to_bytes(self) -> bytes:
        if len(self.data) > 255:
            raise ValueError("short APDUs carry at most 255 bytes")
        out = bytes([self.cla, self.ins, self.p1, self.p2])
        if self.data:
            out += bytes([len(self.data)]) + self.data
        if self.le is not None:
            out += bytes([self.le & 0xFF])
        return out

    def header(self) -> str:
        """What may be logged: the four header bytes and the lengths, never the body."""
        text = f"{self.cla:02X} {self.ins:02X} {self.p1:02X} {self.p2:02X}"
        if self.data:
            text += f" Lc={len(self.data)}"
        if self.le is not None:
            text += f" Le={self.le or 256}"
        return text

    def __repr__(self) -> str:  # a Command with a PIN inside must never print it
        return f"Command({self.header()})"


@dataclass(frozen=True, slots=True)
class Response:
    data: bytes
    sw: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ValueError("an R-APDU has at least the two status bytes")
        return cls(bytes(raw[:-2]), (raw[-2] << 8) | raw[-1])

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    def __repr__(self) -> str:  # card data (names, addresses) is never printed
        return f"Response(sw={self.sw:04X}, {len(self.data)} bytes)"


# --- command builders ---------------------------------------------------------------------------


def select_df(aid: bytes) -> Command:
    return Command(0x00, 0xA4, 0x04, 0x0C, aid)


def select_ef(ef: int) -> Command:
    return Command(0x00, 0xA4, 0x02, 0x0C, ef.to_bytes(2, "big"))


def verify(secret: bytes) -> Command:
    """VERIFY the key of the selected EF (P2=80)."""
    return Command(0x00, 0x20, 0x00, 0x80, bytes(secret), secret=True)


def verify_status() -> Command:
    """Empty VERIFY: the card answers 63Cx with the tries left and does not spend one."""
    return Command(0x00, 0x20, 0x00, 0x80)


def read_binary(offset: int, length: int) -> Command:
    if not 0 <= offset <= 0x7FFF:
        raise ValueError("READ BINARY offsets are 15 bits")
    if not 1 <= length <= 256:
        raise ValueError("short READ BINARY reads 1 to 256 bytes")
    return Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length % 256)


def compute_signature(digest_info: bytes) -> Command:
    """Sign a DER DigestInfo with the selected private key EF (the card adds PKCS#1 v1.5)."""
    return Command(0x80, 0x2A, 0x00, 0x80, digest_info, le=0)


def get_response(length: int) -> Command:
    return Command(0x00, 0xC0, 0x00, 0x00, le=length)


def sha256_digest_info(message: bytes) -> bytes:
    return SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(message).digest()


# --- status words -------------------------------------------------------------------------------


def check(response: Response, *, verifying: bool = False) -> Response:
    """Return the response on success; raise the typed error its status word stands for.

    `verifying` marks the answer to a VERIFY with a value: 63Cx then means a wrong value with x
    tries left (63C0: this attempt locked it).
    """
    sw = response.sw
    if sw == SW_OK:
        return response
    if verifying and response.sw1 == 0x63 and response.sw2 & 0xF0 == 0xC0:
        tries = response.sw2 & 0x0F
        if tries == 0:
            raise PinLocked(sw)
        raise WrongPin(sw, tries)
    if sw in (SW_KEY_BLOCKED, SW_AUTH_BLOCKED):
        raise PinLocked(sw)
    if sw == SW_NOT_FOUND:
        raise FileNotFound(sw)
    if sw == SW_SECURITY_NOT_SATISFIED:
        raise SecurityNotSatisfied(sw)
    raise StatusWordError(sw)


def tries_left(response: Response, *, limit: int) -> int | None:
    """Read the answer to an empty VERIFY: tries left, or None when already verified (9000)."""
    if response.sw == SW_OK:
        return None
    if response.sw1 == 0x63 and response.sw2 & 0xF0 == 0xC0:
        return min(response.sw2 & 0x0F, limit)
    if response.sw in (SW_KEY_BLOCKED, SW_AUTH_BLOCKED):
        return 0
    check(response)  # raises for anything else
    raise AssertionError("unreachable")


# --- BER-TLV and the basic four -----------------------------------------------------------------


def read_tlv(buffer: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """One BER-TLV object at `offset`: (tag as int, value, offset after it).

    Tags of one or more bytes (multi-byte when the low five bits of the first are all set) and
    lengths in short or long form (81 xx, 82 xx xx), as the card's files use.
    """
    try:
        start = offset
        tag = buffer[offset]
        offset += 1
        if tag & 0x1F == 0x1F:
            while True:
                tag = (tag << 8) | buffer[offset]
                offset += 1
                if buffer[offset - 1] & 0x80 == 0:
                    break
        length = buffer[offset]
        offset += 1
        if length & 0x80:
            count = length & 0x7F
            if not 1 <= count <= 3:
                raise CardDataError(f"unsupported BER length form at byte {start}")
            length = int.from_bytes(buffer[offset : offset + count], "big")
            offset += count
        end = offset + length
        if end > len(buffer):
            raise CardDataError(f"object at byte {start} runs past the data")
        return tag, bytes(buffer[offset:end]), end
    except IndexError as exc:
        raise CardDataError("truncated BER-TLV object") from exc


def tlv_total_length(header: bytes) -> int | None:
    """The full length (tag + length + value) of the object that starts with `header`.

    None when `header` is too short to hold the tag and the length bytes.
    """
    try:
        position = 1
        if header[0] & 0x1F == 0x1F:
            while header[position] & 0x80:
                position += 1
            position += 1
        length = header[position]
        position += 1
        if length & 0x80 == 0:
            return position + length
        count = length & 0x7F
        if len(header) < position + count:
            return None
        return position + count + int.from_bytes(header[position : position + count], "big")
    except IndexError:
        return None


@dataclass(frozen=True, slots=True)
class BasicFour:
    """基本4情報 as written on the card: name, address, date of birth, sex (JIS X 0303 code)."""

    name: str
    address: str
    birth_date: date
    sex: str  # "1" male, "2" female, "9" not applicable, "0" unknown

    def __repr__(self) -> str:  # personal data stays out of logs and tracebacks
        return "BasicFour(…)"


BASIC_FOUR_TAG = 0xFF20
_NAME, _ADDRESS, _BIRTH, _SEX = 0xDF22, 0xDF23, 0xDF24, 0xDF25


def parse_basic_four(content: bytes) -> BasicFour:
    """Parse EF 0002 of the 券面事項入力補助AP (FF20 holding DF21 offsets and DF22–DF25).

    Defensive: some cards are reported to put two bytes before FF20, so the object is looked for
    rather than expected at offset 0; the DF21 offset table is not trusted; filler after it is
    ignored.
    """
    start = content.find(b"\xff\x20")
    if start < 0 or start > 8:
        raise CardDataError("no basic-four object (FF20) in the file")
    tag, body, _ = read_tlv(content, start)
    items: dict[int, bytes] = {}
    offset = 0
    while offset < len(body):
        if body[offset] in (0x00, 0xFF):
            break  # filler
        item_tag, value, offset = read_tlv(body, offset)
        items[item_tag] = value
    missing = [f"{t:04X}" for t in (_NAME, _ADDRESS, _BIRTH, _SEX) if t not in items]
    if missing:
        raise CardDataError(f"basic-four object lacks {', '.join(missing)}")
    try:
        name = items[_NAME].decode("utf-8")
        address = items[_ADDRESS].decode("utf-8")
        raw_birth = items[_BIRTH].decode("ascii")
        birth = date(int(raw_birth[0:4]), int(raw_birth[4:6]), int(raw_birth[6:8]))
        sex = items[_SEX].decode("ascii")
    except (UnicodeDecodeError, ValueError) as exc:
        raise CardDataError("basic-four values cannot be read") from exc
    if len(raw_birth) != 8 or sex not in {"0", "1", "2", "9"}:
        raise CardDataError("basic-four values have an unexpected format")
    return BasicFour(name=name, address=address, birth_date=birth, sex=sex)


def encode_tlv(tag: int, value: bytes) -> bytes:
    """BER-TLV encoding (the virtual card writes its files with it)."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    length = len(value)
    if length < 0x80:
        length_bytes = bytes([length])
    elif length <= 0xFF:
        length_bytes = bytes([0x81, length])
    else:
        length_bytes = bytes([0x82]) + length.to_bytes(2, "big")
    return tag_bytes + length_bytes + value


def encode_basic_four(four: BasicFour) -> bytes:
    """The EF 0002 content for `four`: FF20{DF21 offsets, DF22, DF23, DF24, DF25}."""
    values = [
        (_NAME, four.name.encode("utf-8")),
        (_ADDRESS, four.address.encode("utf-8")),
        (_BIRTH, four.birth_date.strftime("%Y%m%d").encode("ascii")),
        (_SEX, four.sex.encode("ascii")),
    ]
    encoded = [encode_tlv(tag, value) for tag, value in values]
    offsets_len = len(encode_tlv(0xDF21, b"\x00" * 8))
    body_len = offsets_len + sum(len(item) for item in encoded)
    header_len = len(encode_tlv(BASIC_FOUR_TAG, b"\x00" * body_len)) - body_len
    position = header_len + offsets_len
    table = b""
    for item in encoded:
        table += position.to_bytes(2, "big")
        position += len(item)
    return encode_tlv(BASIC_FOUR_TAG, encode_tlv(0xDF21, table) + b"".join(encoded))
