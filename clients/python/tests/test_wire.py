"""Unit tests of the codec, without a daemon."""
import unittest

import cardcheck
from cardcheck import _wire


class WireTests(unittest.TestCase):
    def test_frames_split_anywhere(self):
        data = _wire.frame(0x82, 7, _wire.field(1, b"hi")) * 3
        reader = _wire.FrameReader()
        frames = [frame for byte in data for frame in reader.feed(bytes([byte]))]
        self.assertEqual([f.request_id for f in frames], [7, 7, 7])
        self.assertEqual(frames[0].fields, [(1, b"hi")])

    def test_bad_streams_are_protocol_errors(self):
        for data in (b"\x00\x00\x00\x03abc", b"HTTP/1.1 400 Bad Request\r\n\r\n", b"\x00\x00\x00\x08\x41\x82\x00\x00\x00\x00\x00\x01"):
            with self.assertRaises(cardcheck.ProtocolError):
                _wire.FrameReader().feed(data)

    def test_a_field_past_its_frame(self):
        with self.assertRaises(cardcheck.ProtocolError):
            _wire.FrameReader().feed(_wire.frame(0x83, 1, b"\x01\x00\x09abc"))

    def test_truncated_fields_and_bad_values(self):
        with self.assertRaises(cardcheck.ProtocolError):
            _wire.parse_fields(b"\x01\x00\x09abc")
        bad_bool = _wire.Frame(0xC1, 0x83, 0, 1, [(2, b"\x05"), (0x0C, b"\x00"), (0x0D, bytes(8))])
        with self.assertRaises(cardcheck.ProtocolError):
            _wire.decode_validate(bad_bool)
        no_action = _wire.Frame(0xC1, 0x83, 0, 1, [(0x0D, bytes(8))])
        with self.assertRaises(cardcheck.ProtocolError):
            _wire.decode_validate(no_action)

    def test_a_newer_reason_bit_is_named_by_its_number(self):
        mask = (1 << 5 | 1 << 42 | 1 << 63).to_bytes(8, "big")
        frame = _wire.Frame(0xC1, 0x83, 0, 1, [(0x0C, b"\x01"), (0x0D, mask), (0x10, b"\x03"), (0x13, b"elo;eftpos")])
        result = _wire.decode_validate(frame)
        self.assertEqual(result.reasons, ("expired", "funding_prepaid", "reason_63"))
        self.assertEqual(result.funding, cardcheck.Funding.PREPAID)
        self.assertEqual(result.networks, (cardcheck.Brand.ELO, "eftpos"))
        with self.assertRaises(cardcheck.ProtocolError):
            _wire.decode_validate(_wire.Frame(0xC1, 0x83, 0, 1, [(0x0C, b"\x01"), (0x0D, bytes(8)), (0x10, b"\x09")]))

    def test_request_types_are_checked_without_echoing_values(self):
        with self.assertRaises(TypeError) as caught:
            cardcheck.ValidateRequest(pan=4111111111111111)
        self.assertNotIn("4111", str(caught.exception))
        with self.assertRaises(TypeError):
            cardcheck.ValidateRequest(csc_indicator="1")

    def test_generated_authentication_value_hides_its_value_and_checks_its_size(self):
        value = "jHyn+7YFi1EUAREAAAAvNUe6Hv8="
        frame = _wire.Frame(0xC1, 0x88, 0, 1, [(1, value.encode()), (2, b"aav-1"), (3, b"63CBFF")])
        generated = _wire.decode_generated_value(frame)
        self.assertEqual(generated.hex, "8C7CA7FBB6058B511401110000002F3547BA1EFF")
        self.assertNotIn(value, repr(generated))
        short = _wire.Frame(0xC1, 0x88, 0, 1, [(1, b"jHyn+7YF"), (2, b"k"), (3, b"K")])
        with self.assertRaises(cardcheck.ProtocolError):
            _wire.decode_generated_value(short)

    def test_repr_hides_pan_and_code(self):
        text = repr(cardcheck.ValidateRequest(pan="4111 1111 1111 1111", csc="123", postal_code="12345"))
        self.assertNotIn("1111 1111", text)
        self.assertNotIn("123'", text)
        self.assertIn("411111", text)


if __name__ == "__main__":
    unittest.main()
