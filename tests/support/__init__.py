"""What tests share: study builders, fixtures' data, hostile servers, the crash child."""
